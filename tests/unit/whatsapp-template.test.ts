import { describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { checkWhatsAppFields, compileWhatsAppVariables, previewWhatsAppVariables, renderWhatsAppVariables, WHATSAPP_MAX_VARIABLES } from "@/lib/templates/whatsapp";

/** The refusal's reason, field and params, or null when the fields were accepted. */
function refusal(run: () => unknown) {
  try {
    run();
    return null;
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { reason: error.reason, field: error.field, params: error.params };
  }
}

const fields = (overrides: Partial<{ name: string; language: string; variables: string[] }> = {}) => ({ name: "order_ready", language: "en_US", variables: ["{{ name }}", "{{ attributes.city }}"], ...overrides });

describe("WhatsApp template fields", () => {
  it("accepts Meta's name and language shapes with variables that compile, trimmed", () => {
    expect(checkWhatsAppFields({ name: " order_ready_2 ", language: " zh_CN ", variables: [" {{ name | default: \"friend\" }} ", "{{ email }}"] }, null)).toEqual({
      name: "order_ready_2",
      language: "zh_CN",
      variables: ["{{ name | default: \"friend\" }}", "{{ email }}"],
    });
    for (const language of ["en", "fil", "pt_BR", "en_US"]) expect(checkWhatsAppFields(fields({ language }), null)?.language).toBe(language);
    expect(checkWhatsAppFields(fields({ variables: [] }), null)?.variables).toEqual([]);
  });

  it("refuses a name or language Meta would not take, naming the field", () => {
    for (const name of ["Order_Ready", "order-ready", "order ready", "订单", "a".repeat(513)]) {
      expect(refusal(() => checkWhatsAppFields(fields({ name }), null))).toMatchObject({ reason: "whatsappNameInvalid", field: "whatsapp.name" });
    }
    for (const language of ["", "english", "en-US", "EN_us", "en_us"]) {
      expect(refusal(() => checkWhatsAppFields(fields({ language }), null))).toMatchObject({ reason: "whatsappLanguageInvalid", field: "whatsapp.language" });
    }
  });

  it("refuses a variable that does not compile, is empty or too many, naming its position", () => {
    expect(refusal(() => checkWhatsAppFields(fields({ variables: ["{{ name }}", "{{ attributes.city | nosuchfilter }}"] }), null))).toMatchObject({
      reason: "whatsappVariableInvalid",
      field: "whatsapp.variables.1",
      params: { position: 2, problem: expect.any(String) },
    });
    expect(refusal(() => checkWhatsAppFields(fields({ variables: ["{{ name "] }), null))).toMatchObject({ reason: "whatsappVariableInvalid", params: { position: 1 } });
    expect(refusal(() => checkWhatsAppFields(fields({ variables: ["{{ name }}", "  "] }), null))).toMatchObject({ reason: "whatsappVariableEmpty", params: { position: 2 } });
    expect(refusal(() => checkWhatsAppFields(fields({ variables: Array.from({ length: WHATSAPP_MAX_VARIABLES + 1 }, () => "{{ name }}") }), null))).toMatchObject({ reason: "whatsappTooManyVariables" });
  });

  it("keeps free text alone as no approved template, and refuses a template with neither", () => {
    expect(checkWhatsAppFields(null, "Hello {{ name }}")).toBeNull();
    expect(checkWhatsAppFields({ name: " ", language: "", variables: [] }, "Hello")).toBeNull();
    expect(refusal(() => checkWhatsAppFields(null, "  "))).toMatchObject({ reason: "whatsappTemplateEmpty", field: "whatsapp.name" });
    expect(refusal(() => checkWhatsAppFields({ name: "", language: "en", variables: ["{{ name }}"] }, "Hello"))).toMatchObject({ reason: "whatsappVariablesWithoutName" });
  });

  it("renders each variable for the contact as one line, and refuses an empty value", () => {
    const variables = compileWhatsAppVariables("unit-wa", 1, fields({ variables: ["{{ name }}", "{{ attributes.city }}", "{{ attributes.note }}"] }));
    expect(renderWhatsAppVariables(variables, { email: "a@b.test", name: "李雷", attributes: { city: "上海", note: "line one\nline\ttwo      end" } })).toEqual(["李雷", "上海", "line one line two   end"]);
    expect(() => renderWhatsAppVariables(variables, { email: "a@b.test", name: "李雷", attributes: { city: "" , note: "x" } })).toThrow("{{2}} is empty");
  });

  it("previews a draft's variables for a contact, an empty value as empty, and refuses what saving would refuse", () => {
    const contact = { email: "a@b.test", name: "韩梅梅", attributes: { city: "北京" } };
    expect(previewWhatsAppVariables([" {{ name }} ", "{{ attributes.city }}", "{{ attributes.missing }}"], contact)).toEqual(["韩梅梅", "北京", ""]);
    expect(refusal(() => previewWhatsAppVariables(["{{ name | nosuchfilter }}"], contact))).toMatchObject({ reason: "whatsappVariableInvalid", params: { position: 1 } });
  });
});
