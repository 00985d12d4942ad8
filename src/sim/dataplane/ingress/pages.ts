/**
 * The responses the controller writes itself, as nginx writes them for ingress-nginx: its
 * built-in error pages (the 404 of the default backend, 502/503/504 from the proxy, 413 for a
 * body over the limit) and the 308 redirect to HTTPS. ingress-nginx hides the Server header.
 */
import type { ServerResponse } from 'node:http';

/** nginx's reason phrases (they differ from Node's for 503 and 504). */
const REASONS: Record<number, string> = {
  308: 'Permanent Redirect',
  400: 'Bad Request',
  404: 'Not Found',
  413: 'Request Entity Too Large',
  502: 'Bad Gateway',
  503: 'Service Temporarily Unavailable',
  504: 'Gateway Time-out',
};

export function statusPage(status: number): string {
  const title = `${status} ${REASONS[status] ?? ''}`.trim();
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}

/** Writes one of nginx's pages (unless the response has started: then the connection is cut). */
export function sendStatusPage(
  res: ServerResponse,
  status: number,
  extraHeaders: Record<string, string> = {},
  closeConnection = false,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = statusPage(status);
  res.writeHead(status, REASONS[status], {
    'content-type': 'text/html',
    'content-length': String(Buffer.byteLength(body)),
    ...(closeConnection ? { connection: 'close' } : {}),
    ...extraHeaders,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
