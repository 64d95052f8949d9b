import "server-only";
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { headers } from "next/headers";
import { getDb } from "@/lib/database";
import { readEnv } from "@/lib/config/env";
import { getSecrets } from "@/lib/config/secrets";
import { clientIp, SESSION_MAX_AGE_SECONDS, secureCookies, type SessionClaims } from "./session";
import { signIn, SignInError, signOut } from "./sign-in";

/**
 * next-auth builds its redirects from NEXTAUTH_URL, defaulting to localhost:3000. Fanout's
 * public address is FANOUT_PUBLIC_URL when given; otherwise the address the browser used.
 */
function configureBaseUrl() {
  const { publicUrl, nextAuth } = readEnv();
  if (publicUrl) {
    if (nextAuth.url === undefined) process.env.NEXTAUTH_URL = publicUrl;
  } else if (nextAuth.trustHost === undefined) process.env.AUTH_TRUST_HOST = "true";
}

/** The address of the request being served, for the operation log ("" outside a request). */
async function requestIp(): Promise<string> {
  try {
    return clientIp(await headers());
  } catch {
    return "";
  }
}

export function authOptions(): NextAuthOptions {
  configureBaseUrl();
  return {
    secret: getSecrets().authSecret,
    useSecureCookies: secureCookies(),
    session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_SECONDS },
    pages: { signIn: "/login", error: "/login" },
    providers: [
      CredentialsProvider({
        name: "Fanout",
        credentials: { email: { type: "email" }, password: { type: "password" } },
        async authorize(credentials, request) {
          const headers = new Headers();
          for (const [name, value] of Object.entries(request?.headers ?? {})) {
            if (typeof value === "string") headers.set(name, value);
          }
          try {
            const user = await signIn(await getDb(), credentials?.email ?? "", credentials?.password ?? "", clientIp(headers));
            return { id: user.id, email: user.email, name: user.name, role: user.role, departmentId: user.departmentId, sv: user.sessionVersion };
          } catch (error) {
            // next-auth passes the message of an Error thrown here to the sign-in form.
            if (error instanceof SignInError) throw new Error(error.wire);
            throw error;
          }
        },
      }),
    ],
    events: {
      // The session version moves on, so this cookie and any copy of it stop working.
      async signOut({ token }) {
        await signOut(await getDb(), token as SessionClaims | null, await requestIp());
      },
    },
    callbacks: {
      jwt({ token, user }) {
        const claims = token as SessionClaims;
        if (user) {
          const signedIn = user as typeof user & { role: string; departmentId: string | null; sv: number };
          claims.uid = signedIn.id;
          claims.role = signedIn.role;
          claims.departmentId = signedIn.departmentId;
          claims.sv = signedIn.sv;
        }
        return claims;
      },
      session({ session, token }) {
        const claims = token as SessionClaims;
        return { ...session, user: { ...session.user, id: claims.uid, role: claims.role, departmentId: claims.departmentId } };
      },
    },
  };
}
