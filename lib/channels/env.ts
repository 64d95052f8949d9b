import "server-only";
import { invalid, webUrl } from "@/lib/config/env-values";
import type { AliyunSmsConfig } from "./sms-aliyun";
import type { TwilioSmsConfig } from "./sms-twilio";
import type { WhatsAppConfig } from "./whatsapp";
import type { WeComConfig } from "./wecom-client";

/**
 * The channel providers' settings, read from environment variables (the lead folds this into
 * lib/config/env.ts; until then the caller passes the environment). Every variable is optional:
 * a channel whose variables are all unset is simply not configured. A channel half-configured, or
 * a value that cannot be right, is an error that names the variable.
 */

/** `pushToken`: the secret path segment of the route Aliyun pushes receipts and replies to (its push is unsigned). */
export type SmsSettings = ({ provider: "aliyun"; pushToken?: string } & AliyunSmsConfig) | ({ provider: "twilio" } & TwilioSmsConfig);
export type ChannelSettings = {
  sms?: SmsSettings;
  whatsapp?: WhatsAppConfig & { appSecret?: string; verifyToken?: string };
  wecom?: WeComConfig;
};

type Env = Record<string, string | undefined>;

function reader(env: Env) {
  const optional = (name: string) => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const required = (name: string, because: string) => optional(name) ?? invalid(`${name} is required ${because}`);
  const url = (name: string) => webUrl(name, optional(name));
  return { optional, required, url };
}

export function readChannelSettings(env: Env): ChannelSettings {
  return { sms: readSms(env), whatsapp: readWhatsApp(env), wecom: readWeCom(env) };
}

function readSms(env: Env): SmsSettings | undefined {
  const { optional, required, url } = reader(env);
  const provider = optional("FANOUT_SMS_PROVIDER");
  if (provider === undefined) return undefined;
  const because = `when FANOUT_SMS_PROVIDER is "${provider}"`;
  if (provider === "aliyun") {
    return {
      provider,
      accessKeyId: required("FANOUT_SMS_ALIYUN_ACCESS_KEY_ID", because),
      accessKeySecret: required("FANOUT_SMS_ALIYUN_ACCESS_KEY_SECRET", because),
      signName: required("FANOUT_SMS_ALIYUN_SIGN_NAME", because),
      templateCode: optional("FANOUT_SMS_ALIYUN_TEMPLATE_CODE"),
      textParam: optional("FANOUT_SMS_ALIYUN_TEXT_PARAM"),
      baseUrl: url("FANOUT_SMS_ALIYUN_BASE_URL"),
      pushToken: pushToken(optional("FANOUT_SMS_ALIYUN_PUSH_TOKEN")),
    };
  }
  if (provider === "twilio") {
    const from = optional("FANOUT_SMS_TWILIO_FROM");
    const messagingServiceSid = optional("FANOUT_SMS_TWILIO_MESSAGING_SERVICE_SID");
    if (!from && !messagingServiceSid) invalid(`FANOUT_SMS_TWILIO_FROM or FANOUT_SMS_TWILIO_MESSAGING_SERVICE_SID is required ${because}`);
    return {
      provider,
      accountSid: required("FANOUT_SMS_TWILIO_ACCOUNT_SID", because),
      authToken: required("FANOUT_SMS_TWILIO_AUTH_TOKEN", because),
      from,
      messagingServiceSid,
      statusCallback: url("FANOUT_SMS_TWILIO_STATUS_CALLBACK"),
      baseUrl: url("FANOUT_SMS_TWILIO_BASE_URL"),
    };
  }
  return invalid(`FANOUT_SMS_PROVIDER must be "aliyun" or "twilio" (got "${provider}")`);
}

/** A token someone could guess would open the unsigned push to anyone: at least 32 URL-safe characters. */
function pushToken(value: string | undefined): string | undefined {
  if (value !== undefined && !/^[A-Za-z0-9_-]{32,200}$/.test(value)) invalid("FANOUT_SMS_ALIYUN_PUSH_TOKEN must be 32 to 200 letters, digits, - or _ (e.g. openssl rand -hex 24)");
  return value;
}

function readWhatsApp(env: Env): ChannelSettings["whatsapp"] {
  const { optional, required, url } = reader(env);
  const token = optional("FANOUT_WHATSAPP_TOKEN");
  const phoneNumberId = optional("FANOUT_WHATSAPP_PHONE_NUMBER_ID");
  if (!token && !phoneNumberId) return undefined;
  const because = "when FANOUT_WHATSAPP_TOKEN or FANOUT_WHATSAPP_PHONE_NUMBER_ID is set";
  const apiVersion = optional("FANOUT_WHATSAPP_API_VERSION");
  if (apiVersion !== undefined && !/^v\d{1,3}\.\d{1,3}$/.test(apiVersion)) invalid(`FANOUT_WHATSAPP_API_VERSION must look like "v21.0" (got "${apiVersion}")`);
  return {
    token: required("FANOUT_WHATSAPP_TOKEN", because),
    phoneNumberId: required("FANOUT_WHATSAPP_PHONE_NUMBER_ID", because),
    appSecret: optional("FANOUT_WHATSAPP_APP_SECRET"),
    verifyToken: optional("FANOUT_WHATSAPP_VERIFY_TOKEN"),
    apiVersion,
    baseUrl: url("FANOUT_WHATSAPP_BASE_URL"),
  };
}

function readWeCom(env: Env): WeComConfig | undefined {
  const { optional, required, url } = reader(env);
  if (!optional("FANOUT_WECOM_CORP_ID") && !optional("FANOUT_WECOM_SECRET") && !optional("FANOUT_WECOM_AGENT_ID")) return undefined;
  const because = "when any FANOUT_WECOM_ variable is set";
  const agentId = required("FANOUT_WECOM_AGENT_ID", because);
  if (!/^\d{1,12}$/.test(agentId)) invalid(`FANOUT_WECOM_AGENT_ID must be the application's numeric AgentId (got "${agentId}")`);
  return { corpId: required("FANOUT_WECOM_CORP_ID", because), secret: required("FANOUT_WECOM_SECRET", because), agentId: Number(agentId), baseUrl: url("FANOUT_WECOM_BASE_URL") };
}
