/**
 * What is left of a Chinese sentence in Latin letters once its placeholders, the user's own input
 * (whole, or a part of it quoted back)
 * and the technical names a Chinese reader also sees in Latin letters (formats, protocols,
 * products, the A/B test) are taken out. Empty means the sentence is Chinese.
 */
const TECHNICAL_NAMES =
  /\b(?:SMTP|DNS|SPF|DKIM|DMARC|CSV|TSV|XLSX|API|IP|IPv4|IPv6|CIDR|UTF-8|UTF-16|ASCII|GB18030|JSON|HTML|PDF|ZIP|Office|Excel|xls|xlsx|Resend|RESEND_WEBHOOK_SECRET|svix-id|svix-timestamp|svix-signature|svix|Fanout|Content-Type|text\/csv|text\/tab-separated-values|message\/rfc822|Authorization|Bearer|Idempotency-Key|https|example\.com|bounce|unsubscribe|unsubscribe_url|Webhook|http|WhatsApp|ID|A\/B)\b/g;

export function latinLeftIn(sentence: string, userInput: readonly string[] = []): string {
  let rest = sentence.replace(/\{\w+\}/g, "");
  for (const input of [...userInput].sort((a, b) => b.length - a.length)) {
    if (input) rest = rest.split(input).join("").split(input.toLowerCase()).join("");
  }
  // A part of the input quoted back (the domain of a typed address) is the user's too.
  const typed = userInput.join("\n").toLowerCase();
  rest = rest.replace(/[A-Za-z0-9][A-Za-z0-9._@+-]*/g, (token) => (typed.includes(token.toLowerCase()) ? "" : token));
  return rest.replace(TECHNICAL_NAMES, "").replace(/[^A-Za-z]/g, "");
}
