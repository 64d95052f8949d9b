import NextAuth from "next-auth";
import { authOptions } from "@/lib/auth/options";
import { definePublicRoute, withBody } from "@/lib/entry/public-route";

/** A sign-in form is an address, a password and a CSRF token. */
const MAX_BODY_BYTES = 64 * 1024;

// Sign-in itself: credentials are checked (with rate limits) in lib/auth/sign-in.ts.
const handler = definePublicRoute<{ nextauth: string[] }>({
  maxBodyBytes: MAX_BODY_BYTES,
  handle: async ({ request, params, body }) => NextAuth(authOptions())(withBody(request, await body()), { params: Promise.resolve(params) }),
});

export { handler as GET, handler as POST };
