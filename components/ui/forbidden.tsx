export function Forbidden({ message }: { message: string }) {
  return (
    <div className="rounded-lg bg-white p-8 text-center text-sm text-slate-600 ring-1 ring-slate-200" data-testid="forbidden">
      {message}
    </div>
  );
}
