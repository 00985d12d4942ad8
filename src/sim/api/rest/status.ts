/**
 * Errors as the apiserver returns them: a meta/v1 Status with the HTTP code, a machine reason
 * and the message kubectl prints after "Error from server (<Reason>): ".
 * Messages follow k8s.io/apimachinery/pkg/api/errors/errors.go.
 */
import type { ResourceType } from '../../kinds/registry.ts';
import { qualifiedResource } from '../../kinds/registry.ts';
import { type FieldCause, invalidMessage } from '../../kinds/validation.ts';

export interface StatusCause {
  type?: string;
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }

  /** Rebuilds an error from a Status body made elsewhere (the apply code shapes its own). */
  static fromStatus(status: {
    code: number;
    reason?: string;
    message: string;
    details?: StatusDetails;
  }): ApiError {
    return new ApiError(status.code, status.reason ?? '', status.message, status.details);
  }

  toStatus(): StatusBody {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      ...(this.reason ? { reason: this.reason } : {}),
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

function details(r: ResourceType, name: string, extra: Partial<StatusDetails> = {}): StatusDetails {
  return { name, ...(r.group ? { group: r.group } : {}), kind: r.plural, ...extra };
}

export const notFound = (r: ResourceType, name: string): ApiError =>
  new ApiError(404, 'NotFound', `${qualifiedResource(r)} "${name}" not found`, details(r, name));

export const alreadyExists = (r: ResourceType, name: string): ApiError =>
  new ApiError(409, 'AlreadyExists', `${qualifiedResource(r)} "${name}" already exists`, details(r, name));

export const conflict = (r: ResourceType, name: string, why: string): ApiError =>
  new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(r)} "${name}": ${why}`,
    details(r, name),
  );

export const modifiedConflict = (r: ResourceType, name: string): ApiError =>
  conflict(
    r,
    name,
    'the object has been modified; please apply your changes to the latest version and try again',
  );

export const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message);

export const forbidden = (r: ResourceType, name: string, why: string, causes?: StatusCause[]): ApiError =>
  new ApiError(
    403,
    'Forbidden',
    `${qualifiedResource(r)} "${name}" is forbidden: ${why}`,
    details(r, name, causes ? { causes } : {}),
  );

/** 422 with one cause per field error; the message lists them as kubectl shows them. */
export function invalid(
  r: ResourceType,
  name: string,
  causes: { reason: string; message: string; field: string }[],
): ApiError {
  const kind = r.group ? `${r.kind}.${r.group}` : r.kind;
  return new ApiError(422, 'Invalid', invalidMessage(kind, name, causes as FieldCause[]), {
    name,
    ...(r.group ? { group: r.group } : {}),
    kind: r.kind,
    causes,
  });
}

export const notFoundPath = (): ApiError =>
  new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});

export const methodNotAllowed = (): ApiError =>
  new ApiError(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
    {},
  );

export const unsupportedMediaType = (accepted: readonly string[]): ApiError =>
  new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );

export const expired = (message: string): ApiError => new ApiError(410, 'Expired', message);

export const tooManyRequests = (
  message: string,
  causes: StatusCause[],
  retryAfterSeconds?: number,
): ApiError =>
  new ApiError(429, 'TooManyRequests', message, {
    causes,
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  });

export const internalError = (message: string): ApiError =>
  new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });

export function successStatus(code: number, d?: StatusDetails): StatusBody {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    ...(d ? { details: d } : {}),
    code,
  };
}
