"use client";

import { ActionForm } from "@/components/forms/action-form";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";
import { variantName } from "../ab-test-form";
import { chooseAbWinner } from "../actions";

/** Ends a waiting A/B test by hand: a button per variant, each sending that variant to the rest once confirmed. */
export function AbWinnerButtons({ taskId, variants }: { taskId: string; variants: number }) {
  const { t } = useI18n();
  const words = t.tasks.abTest;
  return (
    <div className="space-y-2" data-testid="ab-choose">
      <p className="text-xs text-slate-600">{words.chooseHint}</p>
      <div className="flex flex-wrap gap-2">
        {Array.from({ length: variants }, (_, index) => {
          const variant = variantName(index);
          return (
            <ActionForm
              key={variant}
              action={chooseAbWinner}
              submitLabel={format(words.choose, { variant })}
              confirmText={format(words.chooseConfirm, { variant })}
              variant="secondary"
              className="[&>div]:mt-0"
              testId={`ab-choose-${variant}`}
            >
              <input type="hidden" name="id" value={taskId} />
              <input type="hidden" name="variant" value={index} />
            </ActionForm>
          );
        })}
      </div>
    </div>
  );
}
