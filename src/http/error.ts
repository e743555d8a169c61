import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../domain/error.js';
import { asSent } from '../domain/input/scot3.js';

interface ValidationIssue {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
  /** The failing schema (Ajv's `verbose` option). */
  schema?: unknown;
}

type Described = { type?: string; enum?: unknown[]; minimum?: number; maximum?: number };

const describeSchema = (schema: Described) =>
  schema.enum
    ? schema.enum.map((v) => JSON.stringify(v)).join(' or ')
    : schema.type === 'integer'
      ? `a whole number from ${schema.minimum ?? 0} to ${schema.maximum}`
      : `a ${schema.type}`;

/** `/data/0/name` → `data.0.name`; missing and extra properties name themselves. */
function fieldOf(issue: ValidationIssue): string {
  const path = issue.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const own = (issue.params.missingProperty ?? issue.params.additionalProperty) as string | undefined;
  return [path, own].filter(Boolean).join('.') || '(body)';
}

function messageOf(issue: ValidationIssue, field: string, where: string): string {
  switch (issue.keyword) {
    case 'required':
      return `${field} is required`;
    case 'additionalProperties':
      return `${field} is not a known field${where === 'body' ? '' : ` of the ${where}`}`;
    case 'anyOf':
      return `${field} must be ${(issue.schema as Described[]).map(describeSchema).join(' or ')}`;
    case 'enum':
      return `${field} must be one of ${(issue.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${field} ${issue.message ?? 'is invalid'}`;
  }
}

/** An error answer; SCOT 3 clients read the message as `error_msg`. */
export const errorBody = (message: string, field?: string) => ({
  error: message,
  error_msg: message,
  ...(field ? { field } : {}),
});

/**
 * Every error becomes `{"error": ..., "error_msg": ..., "field": ...}`, the field as the client
 * spelled it; only unexpected ones are 5xx and logged.
 */
export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const sent = (field: string | undefined) => field && asSent(field, request.sentAs ?? []);
  if (error instanceof AppError) {
    return reply.status(error.statusCode).send(errorBody(error.message, sent(error.field)));
  }
  if (error.validation && error.validation.length > 0) {
    // An `anyOf` names every allowed form; the failure of its first branch alone would mislead.
    const issues = error.validation as ValidationIssue[];
    const issue = issues.find((i) => i.keyword === 'anyOf') ?? issues[0];
    const field = sent(fieldOf(issue))!;
    return reply.status(400).send(errorBody(messageOf(issue, field, error.validationContext ?? 'body'), field));
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    // A body that cannot be parsed (bad JSON, empty, too large, wrong type) is at fault as a whole.
    const field = error.code?.startsWith('FST_ERR_CTP_') ? '(body)' : undefined;
    return reply.status(status).send(errorBody(error.message.replace(/^FST_\w+: /, ''), field));
  }
  request.log.error({ err: error }, 'request failed');
  return reply.status(500).send(errorBody('internal error; the server log has the details'));
}
