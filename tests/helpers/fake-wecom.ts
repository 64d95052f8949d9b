import crypto from "node:crypto";
import { startFakeServer, type RecordedCall } from "./fake-provider";

/**
 * WeCom (企业微信) on loopback: `GET /cgi-bin/gettoken` (40013 wrong corpid, 40001 wrong secret)
 * issuing tokens valid for `tokenTtlSeconds`; `POST /cgi-bin/message/send` refusing unknown tokens
 * (40014) and expired ones (42001), taking `touser` as up to 1,000 ids joined by `|` and listing
 * the ids it does not know in `invaliduser` (81013 when none is known); 45009 for the next N sends
 * when told; and `POST /cgi-bin/externalcontact/add_msg_template` (客户群发).
 */

export type FakeWeComOptions = {
  corpId: string;
  secret: string;
  agentId: number;
  /** User ids that exist; any other id in `touser` is invalid. */
  users: string[];
  tokenTtlSeconds: number;
  /** Answer 45009 (API frequency) to the next N sends. */
  frequencyLimitFirst: number;
};

export type WeComSent = { msgid: string; touser: string[]; agentid: unknown; content: string };

export async function startFakeWeCom(initial: Partial<FakeWeComOptions> & Pick<FakeWeComOptions, "corpId" | "secret" | "agentId">) {
  const options: FakeWeComOptions = { users: [], tokenTtlSeconds: 7200, frequencyLimitFirst: 0, ...initial };
  const tokens = new Map<string, number>();
  const sent: WeComSent[] = [];
  const groupSends: { msgid: string; body: Record<string, unknown> }[] = [];
  const counters = { tokensIssued: 0, staleTokenAnswers: 0 };
  const fail = (errcode: number, errmsg: string) => ({ status: 200, body: { errcode, errmsg: `${errmsg}, hint: [${Date.now()}], from ip: 127.0.0.1` } });

  const tokenProblem = (call: RecordedCall) => {
    const token = call.query.get("access_token") ?? "";
    const expiresAt = tokens.get(token);
    if (expiresAt === undefined) return fail(40014, "invalid access_token");
    if (Date.now() >= expiresAt) return fail(42001, "access_token expired");
    return undefined;
  };

  const answer = (call: RecordedCall) => {
    if (call.method === "GET" && call.path === "/cgi-bin/gettoken") {
      if (call.query.get("corpid") !== options.corpId) return fail(40013, "invalid corpid");
      if (call.query.get("corpsecret") !== options.secret) return fail(40001, "invalid credential");
      const token = crypto.randomBytes(32).toString("base64url");
      tokens.set(token, Date.now() + options.tokenTtlSeconds * 1000);
      counters.tokensIssued++;
      return { status: 200, body: { errcode: 0, errmsg: "ok", access_token: token, expires_in: options.tokenTtlSeconds } };
    }
    const stale = tokenProblem(call);
    if (stale) {
      counters.staleTokenAnswers++;
      return stale;
    }
    const body = JSON.parse(call.body || "{}") as Record<string, unknown>;
    if (call.method === "POST" && call.path === "/cgi-bin/message/send") return send(body);
    if (call.method === "POST" && call.path === "/cgi-bin/externalcontact/add_msg_template") {
      const ids = Array.isArray(body.external_userid) ? (body.external_userid as string[]) : [];
      const msgid = `msg${crypto.randomBytes(8).toString("hex")}`;
      groupSends.push({ msgid, body });
      return { status: 200, body: { errcode: 0, errmsg: "ok", fail_list: ids.filter((id) => !id.startsWith("wm")), msgid } };
    }
    return fail(60011, "no privilege to access/modify contact/party/agent");
  };

  const send = (body: Record<string, unknown>) => {
    if (body.agentid !== options.agentId) return fail(40056, "invalid agentid");
    if (body.msgtype !== "text" || typeof (body.text as { content?: unknown } | undefined)?.content !== "string") return fail(40008, "invalid message type");
    if (options.frequencyLimitFirst > 0) {
      options.frequencyLimitFirst--;
      return fail(45009, "api freq out of limit");
    }
    const touser = String(body.touser ?? "").split("|").filter(Boolean);
    if (touser.length > 1000) return fail(40058, "touser exceeds the limit of 1000");
    const known = touser.filter((id) => options.users.includes(id));
    const invalid = touser.filter((id) => !options.users.includes(id));
    if (known.length === 0) return fail(81013, "user & party & tag all invalid");
    const msgid = crypto.randomBytes(24).toString("base64url");
    sent.push({ msgid, touser: known, agentid: body.agentid, content: (body.text as { content: string }).content });
    return { status: 200, body: { errcode: 0, errmsg: "ok", invaliduser: invalid.join("|"), invalidparty: "", invalidtag: "", unlicenseduser: "", msgid, response_code: "" } };
  };

  const server = await startFakeServer(answer);
  return {
    ...server,
    options,
    sent,
    groupSends,
    counters,
    /** Ends every issued token now, as WeCom does when the secret is reset or a token is fetched elsewhere. */
    expireTokens: () => {
      for (const token of tokens.keys()) tokens.set(token, 0);
    },
  };
}

export type FakeWeCom = Awaited<ReturnType<typeof startFakeWeCom>>;
