import crypto from "node:crypto";
import { postWebhook, startFakeServer, type RecordedCall } from "./fake-provider";

/**
 * Aliyun Dysmsapi `SendSms` on loopback, checking what Aliyun checks: the AccessKeyId, the
 * signature recomputed here from the documented algorithm with the test's secret (written out
 * independently of lib/channels/aliyun-signature.ts, so one cannot hide the other's mistake),
 * Timestamp within 15 minutes, SignatureNonce never reused. Answers as Aliyun does: HTTP 200 with
 * `Code` for business outcomes, 400/404 for signature and key errors.
 *
 *   const aliyun = await startFakeAliyunSms({ accessKeyId: "ak", accessKeySecret: "secret" });
 *   aliyun.options.failures["13800000000"] = { Code: "isv.MOBILE_NUMBER_ILLEGAL", Message: "非法手机号" };
 *   aliyun.options.throttleFirst = 2; // the next two requests: Throttling.User
 */

export type FakeAliyunOptions = {
  accessKeyId: string;
  accessKeySecret: string;
  /** Answers by PhoneNumbers (as sent, without +86). */
  failures: Record<string, { Code: string; Message: string }>;
  /** Answer Throttling.User to the next N requests. */
  throttleFirst: number;
};

export type AliyunSent = { phoneNumbers: string; signName: string; templateCode: string; templateParam: Record<string, string>; outId?: string; bizId: string };

function popEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (char) => "%" + char.charCodeAt(0).toString(16).toUpperCase());
}

function expectedSignature(method: string, params: URLSearchParams, secret: string): string {
  const pairs = [...params.entries()].filter(([name]) => name !== "Signature").sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonical = pairs.map(([name, value]) => `${popEncode(name)}=${popEncode(value)}`).join("&");
  return crypto.createHmac("sha1", `${secret}&`).update(`${method}&%2F&${popEncode(canonical)}`).digest("base64");
}

export async function startFakeAliyunSms(initial: Partial<FakeAliyunOptions> & Pick<FakeAliyunOptions, "accessKeyId" | "accessKeySecret">) {
  const options: FakeAliyunOptions = { failures: {}, throttleFirst: 0, ...initial };
  const sent: AliyunSent[] = [];
  const nonces = new Set<string>();
  const requestId = () => crypto.randomUUID().toUpperCase();

  const answer = (call: RecordedCall) => {
    const params = call.method === "POST" ? new URLSearchParams(call.body) : call.query;
    const error = (status: number, Code: string, Message: string) => ({ status, body: { RequestId: requestId(), HostId: "dysmsapi.aliyuncs.com", Code, Message } });
    if (params.get("AccessKeyId") !== options.accessKeyId) return error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.");
    if (params.get("SignatureMethod") !== "HMAC-SHA1" || params.get("SignatureVersion") !== "1.0") return error(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.");
    if (params.get("Signature") !== expectedSignature(call.method, params, options.accessKeySecret)) {
      return error(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.");
    }
    const timestamp = Date.parse(params.get("Timestamp") ?? "");
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(params.get("Timestamp") ?? "") || Math.abs(Date.now() - timestamp) > 15 * 60_000) {
      return error(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.");
    }
    const nonce = params.get("SignatureNonce") ?? "";
    if (!nonce || nonces.has(nonce)) return error(400, "SignatureNonceUsed", "Specified signature nonce was used already.");
    nonces.add(nonce);
    if (params.get("Action") !== "SendSms" || params.get("Version") !== "2017-05-25") return error(400, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.");
    if (options.throttleFirst > 0) {
      options.throttleFirst--;
      return error(400, "Throttling.User", "Request was denied due to user flow control.");
    }
    const phoneNumbers = params.get("PhoneNumbers") ?? "";
    const failure = options.failures[phoneNumbers];
    if (failure) return { status: 200, body: { RequestId: requestId(), ...failure } };
    for (const name of ["PhoneNumbers", "SignName", "TemplateCode"]) {
      if (!params.get(name)) return { status: 200, body: { RequestId: requestId(), Code: "isv.MISSING_PARAMS", Message: `${name} is mandatory for this action.` } };
    }
    const bizId = `${Date.now()}${sent.length}^0`;
    sent.push({
      phoneNumbers,
      signName: params.get("SignName")!,
      templateCode: params.get("TemplateCode")!,
      templateParam: JSON.parse(params.get("TemplateParam") ?? "{}"),
      outId: params.get("OutId") ?? undefined,
      bizId,
    });
    return { status: 200, body: { RequestId: requestId(), Code: "OK", Message: "OK", BizId: bizId } };
  };

  const server = await startFakeServer(answer);
  return {
    ...server,
    options,
    sent,
    /** Pushes SmsReport entries to `url` as Aliyun's HTTP push does (no signature: Aliyun signs nothing). */
    pushReports: (url: string, reports: Record<string, unknown>[]) => postWebhook(url, JSON.stringify(reports), { "content-type": "application/json" }),
    pushReplies: (url: string, replies: Record<string, unknown>[]) => postWebhook(url, JSON.stringify(replies), { "content-type": "application/json" }),
  };
}

export type FakeAliyunSms = Awaited<ReturnType<typeof startFakeAliyunSms>>;
