import "server-only";
import type { z } from "zod";
import type { ApiRoute } from "@/lib/api/registry";
import type { Ctx } from "@/lib/access/context";
import { readJson } from "./body";
import { defineRoute, json } from "./route";
import { validationAppError } from "./validation";

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a registry entry's schemas made of the request: path parameters, query, headers and JSON body, all validated. */
export type ApiInput<R extends ApiRoute> = {
  params: Parsed<R["params"]>;
  query: Parsed<R["query"]>;
  headers: Parsed<R["headers"]>;
  body: Parsed<R["body"]>;
};

/**
 * A keyed /api/v1 handler made from its registry entry (lib/api/registry.ts): defineRoute's key,
 * policy and error handling, then every input the entry describes is parsed with its schema (400
 * `invalid_input` naming each refused field in details) before `handle` sees it. `handle` returns
 * the answer's body, sent with the entry's status (or a Response of its own, when it must set
 * headers or another status); a raw upload is read from `request`.
 */
export function defineApiRoute<R extends ApiRoute & { auth: "apikey"; permission: ApiRoute["permission"] & string }>(
  route: R,
  handle: (ctx: Ctx, input: ApiInput<R>, request: Request) => Promise<unknown>,
) {
  return defineRoute<Record<string, string>>({
    permission: route.permission,
    handle: async (ctx, request, rawParams) => {
      const params = route.params ? parseInput(route.params, rawParams) : undefined;
      const query = route.query ? parseInput(route.query, withoutEmpty(Object.fromEntries(new URL(request.url).searchParams))) : undefined;
      const headers = route.headers ? parseInput(route.headers, withoutEmpty(Object.fromEntries(request.headers))) : undefined;
      const body = route.body ? await readJson(request, route.body, route.maxBodyBytes) : undefined;
      const answer = await handle(ctx, { params, query, headers, body } as ApiInput<R>, request);
      return answer instanceof Response ? answer : json(answer, route.status);
    },
  });
}

function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw validationAppError(parsed.error, input);
  return parsed.data;
}

/** `?status=&cursor=` sends empty values for fields left blank; they mean "not given", as they always have. */
function withoutEmpty(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== ""));
}
