import NextAuth from "next-auth";
import { authOptions } from "@/lib/auth/options";

// Sign-in itself: credentials are checked (with rate limits) in lib/auth/sign-in.ts.
function handler(request: Request, context: { params: Promise<{ nextauth: string[] }> }) {
  return NextAuth(authOptions())(request, context);
}

export { handler as GET, handler as POST };
