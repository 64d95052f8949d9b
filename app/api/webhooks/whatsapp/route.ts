import { getDb } from "@/lib/database";
import { CHANNEL_WEBHOOK_MAX_BYTES } from "@/lib/channels/webhook";
import { parseWhatsAppWebhook, verifyWhatsAppSignature, whatsappChallenge } from "@/lib/channels/whatsapp-webhooks";
import { definePublicRoute, json } from "@/lib/entry/public-route";
import { applyChannelReceipt, applyChannelReply } from "@/lib/feedback/channel-feedback";
import { channelSettings, notConfigured, signatureMismatch } from "@/lib/feedback/channel-routes";

/** Meta's subscription handshake: the challenge echoed only for our verify token. */
export const GET = definePublicRoute({
  handle: ({ request }) => {
    const verifyToken = channelSettings().whatsapp?.verifyToken;
    if (!verifyToken) throw notConfigured("whatsapp");
    const challenge = whatsappChallenge(new URL(request.url).searchParams, verifyToken);
    if (challenge === null) throw signatureMismatch("whatsapp");
    return new Response(challenge, { status: 200, headers: { "content-type": "text/plain" } });
  },
});

/**
 * Statuses (receipts) and messages (replies) of the WhatsApp Business Cloud API, signed with the
 * app secret over the raw body (X-Hub-Signature-256); nothing is read into the database before
 * the signature holds.
 */
export const POST = definePublicRoute({
  maxBodyBytes: CHANNEL_WEBHOOK_MAX_BYTES,
  handle: async ({ request, body }) => {
    const appSecret = channelSettings().whatsapp?.appSecret;
    if (!appSecret) throw notConfigured("whatsapp");
    const raw = await body();
    if (!verifyWhatsAppSignature(raw, request.headers.get("x-hub-signature-256"), appSecret)) throw signatureMismatch("whatsapp");
    const { receipts, replies } = parseWhatsAppWebhook(raw);
    const db = await getDb();
    for (const receipt of receipts) await applyChannelReceipt(db, "whatsapp", receipt);
    for (const reply of replies) await applyChannelReply(db, reply);
    return json({ receipts: receipts.length, replies: replies.length });
  },
});
