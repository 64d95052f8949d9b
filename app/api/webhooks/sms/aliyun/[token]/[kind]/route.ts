import { getDb } from "@/lib/database";
import { ALIYUN_PUSH_ACK, parseAliyunReplies, parseAliyunReports } from "@/lib/channels/sms-aliyun-push";
import { CHANNEL_WEBHOOK_MAX_BYTES, safeEqual } from "@/lib/channels/webhook";
import { definePublicRoute, json } from "@/lib/entry/public-route";
import { notFound } from "@/lib/errors";
import { applyChannelReceipt, applyChannelReply } from "@/lib/feedback/channel-feedback";
import { channelSettings } from "@/lib/feedback/channel-routes";

/**
 * Aliyun's HTTP push of SmsReport (`/report`) and SmsUp (`/reply`). The push is unsigned, so the
 * secret in the path (FANOUT_SMS_ALIYUN_PUSH_TOKEN) is the credential: any other path is a 404,
 * whether or not Aliyun is configured. Aliyun pushes a batch again until it hears {"code":0},
 * which is answered only once every event of the batch is stored.
 */
export const POST = definePublicRoute<{ token: string; kind: string }>({
  maxBodyBytes: CHANNEL_WEBHOOK_MAX_BYTES,
  handle: async ({ params, body }) => {
    const sms = channelSettings().sms;
    const expected = sms?.provider === "aliyun" ? sms.pushToken : undefined;
    if (!expected || !safeEqual(params.token, expected) || (params.kind !== "report" && params.kind !== "reply")) throw notFound("webhookEndpoint");
    const db = await getDb();
    if (params.kind === "report") {
      for (const receipt of parseAliyunReports(await body())) await applyChannelReceipt(db, "sms", receipt);
    } else {
      for (const reply of parseAliyunReplies(await body())) await applyChannelReply(db, reply);
    }
    return json(ALIYUN_PUSH_ACK);
  },
});
