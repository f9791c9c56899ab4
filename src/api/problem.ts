import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { AppError, PROBLEM_BASE } from '../core/errors.ts';
import { z } from 'zod';

/** RFC 9457 problem details, with a stable `code` and the request id to quote to support. */
export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    requestId: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });
export type Problem = z.infer<typeof Problem>;

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function sendProblem(
  reply: FastifyReply,
  req: FastifyRequest,
  status: number,
  code: string,
  detail: string,
  extra?: Record<string, unknown>,
) {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({
      type: PROBLEM_BASE + code,
      title: TITLES[status] ?? 'Error',
      status,
      detail,
      code,
      requestId: String(req.id),
      ...extra,
    });
}

/** Maps every error a request can meet to one problem+json answer with a stable code. */
export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof AppError) return sendProblem(reply, req, err.status, err.code, err.message, err.details);
  if (hasZodFastifySchemaValidationErrors(err)) {
    const errors = err.validation.map((v) => ({
      path: [err.validationContext, ...String(v.instancePath).split('/').filter(Boolean)].join('.'),
      message: describeIssue(v),
    }));
    const first = errors[0];
    return sendProblem(
      reply,
      req,
      400,
      'validation_failed',
      first ? `${first.path}: ${first.message}` : 'the request is not valid',
      { errors },
    );
  }
  if (isResponseSerializationError(err)) {
    req.log.error({ err: { message: err.message } }, 'response did not match its schema');
    return sendProblem(reply, req, 500, 'internal', 'the server produced an invalid response');
  }
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return sendProblem(reply, req, 400, 'malformed_json', 'the request body is not valid JSON');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return sendProblem(
        reply,
        req,
        413,
        'body_too_large',
        'the request body is larger than the server accepts',
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return sendProblem(reply, req, 415, 'unsupported_media_type', 'send the body as application/json');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return sendProblem(reply, req, 400, 'bad_content_length', 'the Content-Length does not match the body');
  }
  if (err.statusCode === 429) {
    return sendProblem(reply, req, 429, 'rate_limited', 'too many requests; slow down and retry later');
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return sendProblem(reply, req, err.statusCode, 'bad_request', err.message);
  }
  req.log.error({ err }, 'unhandled error');
  return sendProblem(
    reply,
    req,
    500,
    'internal',
    'an internal error occurred; quote the request id to support',
  );
}

function describeIssue(v: { message?: string; keyword?: string; params?: Record<string, unknown> }): string {
  const p = v.params as { issue?: { code?: string; keys?: string[] } } | undefined;
  if (p?.issue?.code === 'unrecognized_keys' && p.issue.keys)
    return `unknown field(s): ${p.issue.keys.join(', ')}`;
  return v.message ?? 'invalid';
}
