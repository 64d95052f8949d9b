"use client";

import { useEffect, useRef, useState, type ReactNode } from "react";

/**
 * A box whose content scrolls sideways when wider than it. While it scrolls it is a tab stop, so a
 * keyboard user can reach and scroll it (WCAG 2.1.1); it starts as one (the server cannot measure)
 * and stops being one once measured narrow enough, so no table is ever out of a keyboard's reach.
 */
export function ScrollArea({ className, children }: { className?: string; children: ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  const [scrolls, setScrolls] = useState(true);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const measure = () => setScrolls(element.scrollWidth > element.clientWidth);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    if (element.firstElementChild) observer.observe(element.firstElementChild);
    return () => observer.disconnect();
  }, []);
  return (
    <div ref={box} className={className} tabIndex={scrolls ? 0 : undefined}>
      {children}
    </div>
  );
}
