/** The options of a select, one per choice, in the order given. */
export function Options({ choices }: { choices: readonly { value: string | number; label: string }[] }) {
  return (
    <>
      {choices.map((choice) => (
        <option key={choice.value} value={choice.value}>
          {choice.label}
        </option>
      ))}
    </>
  );
}
