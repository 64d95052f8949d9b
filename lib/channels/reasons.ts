/**
 * The words a channel transport stores as a failed delivery's reason, in English (stored) and
 * Chinese (for the console), keyed like lib/i18n's catalogues so they can be folded into them.
 * Provider text is kept verbatim after the reason, since it is what the provider's support asks for.
 */

export const channelReasonsEn = {
  whatsappOutsideWindow: "Outside the 24-hour window a WhatsApp message must use an approved template",
  whatsappTokenRefused: "WhatsApp refused the access token (expired or revoked): renew FANOUT_WHATSAPP_TOKEN. {detail}",
  credentialsRefused: "{provider} refused the credentials: {detail}",
  needsText: "{provider} sends text, and this message has none",
  needsTemplate: "{provider} sends only approved templates: give the message a template or configure a default template code",
  unreachable: "{provider} could not be reached: {detail}",
  aborted: "Not sent: the batch was aborted",
  unknownOutcome: "{provider} did not answer ({detail}): it may have sent the message, and a retry may send it twice",
  answered: "{provider} answered {detail}",
  balanceLow: "The provider account's balance is too low to send: top it up. {detail}",
  invalidRecipient: "{provider} does not accept this recipient: {detail}",
} as const;

export type ChannelReason = keyof typeof channelReasonsEn;

export const channelReasonsZh: Record<ChannelReason, string> = {
  whatsappOutsideWindow: "超出 24 小时会话窗口，WhatsApp 消息必须使用已审核的模板",
  whatsappTokenRefused: "WhatsApp 拒绝了访问令牌（已过期或被撤销）：请更新 FANOUT_WHATSAPP_TOKEN。{detail}",
  credentialsRefused: "{provider} 拒绝了凭据：{detail}",
  needsText: "{provider} 只发送文本，而这条消息没有文本",
  needsTemplate: "{provider} 只发送已审核的模板：请为消息指定模板，或配置默认模板编号",
  unreachable: "无法连接 {provider}：{detail}",
  aborted: "未发送：该批次已中止",
  unknownOutcome: "{provider} 未应答（{detail}）：消息可能已发出，重试可能重复发送",
  answered: "{provider} 返回 {detail}",
  balanceLow: "服务商账户余额不足，无法发送：请充值。{detail}",
  invalidRecipient: "{provider} 不接受该接收方：{detail}",
};

/** The English reason, with {provider} and {detail} filled in (an empty detail leaves no stray space). */
export function channelReason(reason: ChannelReason, params: { provider?: string; detail?: string } = {}): string {
  return channelReasonsEn[reason]
    .replace("{provider}", params.provider ?? "")
    .replace("{detail}", params.detail ?? "")
    .trim();
}
