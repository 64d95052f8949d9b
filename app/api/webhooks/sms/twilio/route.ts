import { getDb } from "@/lib/database";
import { parseTwilioInbound, parseTwilioStatus, verifyTwilioWebhook } from "@/lib/channels/sms-twilio-webhooks";
import { CHANNEL_WEBHOOK_MAX_BYTES } from "@/lib/channels/webhook";
import { definePublicRoute } from "@/lib/entry/public-route";
import { applyChannelReceipt, applyChannelReply } from "@/lib/feedback/channel-feedback";
import { channelSettings, notConfigured, signatureMismatch, signedUrl } from "@/lib/feedback/channel-routes";

/**
 * Twilio's status callbacks and incoming messages, on one URL (set it as both the status callback
 * and the number's "A message comes in" webhook). The X-Twilio-Signature, keyed by the auth token,
 * is the only credential; nothing is read into the database before it holds. Twilio wants an
 * empty TwiML answer to an incoming message, or it replies to the sender.
 */
export const POST = definePublicRoute({
  maxBodyBytes: CHANNEL_WEBHOOK_MAX_BYTES,
  handle: async ({ request, body }) => {
    const sms = channelSettings().sms;
    if (sms?.provider !== "twilio") throw notConfigured("sms");
    const params = verifyTwilioWebhook(await body(), { url: signedUrl(request), signature: request.headers.get("x-twilio-signature"), authToken: sms.authToken });
    if (!params) throw signatureMismatch("sms");
    const db = await getDb();
    const status = params.get("MessageStatus") ?? params.get("SmsStatus");
    if (status && status !== "received") {
      const receipt = parseTwilioStatus(params);
      if (receipt) await applyChannelReceipt(db, "sms", receipt);
      return new Response(null, { status: 204 });
    }
    const reply = parseTwilioInbound(params);
    if (reply) await applyChannelReply(db, reply);
    return new Response("<Response></Response>", { status: 200, headers: { "content-type": "text/xml" } });
  },
});
