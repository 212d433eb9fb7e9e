/**
 * How a console API route is declared: its zod schemas (params, query, body, response) validate the request and
 * also produce the OpenAPI document at `GET /api/openapi.json`, so the documentation cannot drift from the code.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { hasRole, type StaffPrincipal, type StaffRole } from '../staff/staff-roles';
import type { Db } from '../store/database';
import { authenticate, checkCsrf, type Authenticated } from './console-auth';
import { ForbiddenError, InvalidInputError, UnauthenticatedError } from './console-errors';

export interface RouteContext<P, Q, B> {
  req: FastifyRequest;
  reply: FastifyReply;
  me: StaffPrincipal;
  auth: Authenticated;
  params: P;
  query: Q;
  body: B;
}

export interface ApiRouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  summary: string;
  tag: string;
  /** Least role allowed. @defaultValue 'researcher' */
  role?: StaffRole;
  params?: P;
  query?: Q;
  body?: B;
  response?: R;
  /** HTTP status of a success. @defaultValue 200 */
  status?: number;
  handler(ctx: RouteContext<z.infer<P>, z.infer<Q>, z.infer<B>>): Promise<z.input<R> | void>;
}

export interface Documented {
  method: string;
  url: string;
  summary: string;
  tag: string;
  role: StaffRole | 'public';
  status: number;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  response?: z.ZodType;
}

export class ApiRegistry {
  readonly routes: Documented[] = [];

  constructor(
    readonly app: FastifyInstance,
    private readonly db: Db,
  ) {}

  add<P extends z.ZodType = z.ZodUnknown, Q extends z.ZodType = z.ZodUnknown, B extends z.ZodType = z.ZodUnknown, R extends z.ZodType = z.ZodUnknown>(
    spec: ApiRouteSpec<P, Q, B, R>,
  ): void {
    const role = spec.role ?? 'researcher';
    const status = spec.status ?? 200;
    this.routes.push({ ...spec, role, status });
    const parse = <S extends z.ZodType>(schema: S | undefined, value: unknown, where: string): z.infer<S> => {
      if (!schema) return value as z.infer<S>;
      const r = schema.safeParse(value ?? {});
      if (!r.success) throw new InvalidInputError(`invalid ${where}: ${z.prettifyError(r.error)}`, { where });
      return r.data;
    };
    this.app.route({
      method: spec.method,
      url: spec.url,
      handler: async (req, reply) => {
        const auth = await authenticate(this.db, req);
        if (!auth) throw new UnauthenticatedError();
        checkCsrf(req, auth);
        if (!hasRole(auth.me.role, role)) throw new ForbiddenError(`this needs the ${role} role`, { needed: role });
        const result = await spec.handler({
          req,
          reply,
          me: auth.me,
          auth,
          params: parse(spec.params, req.params, 'path parameters'),
          query: parse(spec.query, req.query, 'query'),
          body: parse(spec.body, req.body, 'body'),
        });
        if (reply.sent) return reply;
        return reply.code(status).send(result ?? null);
      },
    });
  }

  /** Documents a route registered by hand (the public sign-in). */
  document(d: Documented): void {
    this.routes.push(d);
  }

  /** OpenAPI 3.1 (its schemas are JSON Schema 2020-12, which `z.toJSONSchema` emits). */
  openApi(info: { title: string; version: string }): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    const json = (s: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'draft-2020-12' });
    for (const r of this.routes) {
      const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
      const parameters: unknown[] = [];
      for (const [where, schema] of [['path', r.params], ['query', r.query]] as const) {
        if (!schema) continue;
        const js = json(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
        for (const [name, s] of Object.entries(js.properties ?? {})) {
          parameters.push({ name, in: where, required: where === 'path' || (js.required ?? []).includes(name), schema: s });
        }
      }
      paths[path] ??= {};
      paths[path]![r.method.toLowerCase()] = {
        summary: r.summary,
        tags: [r.tag],
        description: `Least role: ${r.role}.`,
        security: r.role === 'public' ? [] : [{ session: [], csrf: [] }, { bearer: [] }],
        parameters,
        ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: json(r.body, 'input') } } } } : {}),
        responses: {
          [String(r.status)]: { description: 'OK', ...(r.response ? { content: { 'application/json': { schema: json(r.response, 'output') } } } : {}) },
          default: { description: 'An error', content: { 'application/json': { schema: json(errorBodySchema, 'output') } } },
        },
      };
    }
    return {
      openapi: '3.1.0',
      info,
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'wasl_session' },
          csrf: { type: 'apiKey', in: 'header', name: 'X-CSRF-Token', description: 'required with the session cookie on POST/PUT/DELETE' },
          bearer: { type: 'http', scheme: 'bearer', description: 'an API token (wasl_…) created in the console' },
        },
      },
      paths,
    };
  }
}

export const errorBodySchema = z.object({ error: z.string(), code: z.string(), details: z.record(z.string(), z.unknown()).optional() });

export const idParams = z.object({ id: z.coerce.number().int().positive() });
