/** HTTP plumbing shared by the handlers: bodies in, JSON and Status out. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { noteRequestObject } from './audit.ts';
import { decodeKubernetesProtobuf, KUBERNETES_PROTOBUF, ProtobufError } from './protobuf/kubernetes.ts';
import { ApiError, badRequest, unsupportedMediaType } from './rest/status.ts';

export const OBJECT_TYPES = ['application/json', 'application/yaml', KUBERNETES_PROTOBUF];

const unsupportedMediaTypeBecause = (why: string): ApiError => new ApiError(415, 'UnsupportedMediaType', why);

// The apiserver's default request body limit (3 MiB), with its error text.
const MAX_BODY_BYTES = 3 * 1024 * 1024;

export function readRawBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(
          new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${MAX_BODY_BYTES}`),
        );
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function readBody(req: IncomingMessage): Promise<string> {
  return (await readRawBody(req)).toString('utf8');
}

/**
 * An object body in any encoding the apiserver accepts for it: JSON, YAML, or Kubernetes
 * protobuf, which kubectl 1.32+ typed clients send for `kubectl create <kind>`.
 */
export async function readObjectBody(
  req: IncomingMessage,
  accepted: readonly string[] = OBJECT_TYPES,
): Promise<unknown> {
  const type = mediaType(req.headers['content-type']) || 'application/json';
  if (!accepted.includes(type)) throw unsupportedMediaType(accepted);
  const raw = await readRawBody(req);
  if (type === KUBERNETES_PROTOBUF) {
    if (raw.length === 0) return undefined;
    try {
      return noteRequestObject(req, decodeKubernetesProtobuf(raw));
    } catch (error) {
      if (error instanceof ProtobufError) throw unsupportedMediaTypeBecause(error.message);
      throw error;
    }
  }
  return noteRequestObject(req, decodeBody(raw.toString('utf8'), type));
}

/** JSON, or YAML when the client sent YAML (kubectl --server-side sends JSON under the apply-patch+yaml type). */
export function decodeBody(text: string, contentType: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return contentType.includes('yaml') ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw badRequest(`error decoding ${contentType.includes('yaml') ? 'YAML' : 'JSON'}: ${detail}`);
  }
}

export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  contentType = 'application/json',
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, error: ApiError): void {
  const headers: Record<string, string> = {};
  if (error.details?.retryAfterSeconds !== undefined)
    headers['Retry-After'] = String(error.details.retryAfterSeconds);
  sendJson(res, error.code, error.toStatus(), 'application/json', headers);
}

export function boolParam(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  return v === 'true' || v === '1';
}

export function intParam(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw badRequest(`invalid ${name} "${v}": must be an integer`);
  return n;
}
