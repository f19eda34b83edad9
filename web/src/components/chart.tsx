/**
 * An ECharts chart, loaded on first use (the chart library is its own chunk), redrawn when the
 * option changes, resized with its box, and clickable. The container is an image for assistive
 * technology; callers put the same data in a table next to it.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { EChartsCoreOption, ECElementEvent } from 'echarts/core';

type Lib = typeof import('./../echarts.js');
let lib: Promise<Lib> | undefined;
export const loadCharts = () => (lib ??= import('./../echarts.js'));

export interface ChartClick {
  seriesName?: string;
  seriesIndex?: number;
  dataIndex: number;
  name: string;
  value: unknown;
}

export const PALETTE = ['#2563eb', '#d97706', '#059669', '#db2777', '#7c3aed', '#0891b2', '#65a30d', '#dc2626', '#4f46e5', '#ca8a04', '#0d9488', '#9333ea', '#e11d48', '#475569'];

export function Chart({ option, onClick, height = 260, label, points }: { option: EChartsCoreOption; onClick?: (p: ChartClick) => void; height?: number; label: string; points: number }) {
  const el = useRef<HTMLDivElement>(null);
  const inst = useRef<ReturnType<Lib['echarts']['init']> | undefined>(undefined);
  const click = useRef(onClick);
  click.current = onClick;
  const [failed, setFailed] = useState<string>();

  useEffect(() => {
    let disposed = false;
    let ro: ResizeObserver | undefined;
    loadCharts().then(
      ({ echarts }) => {
        if (disposed || !el.current) return;
        const c = echarts.init(el.current, undefined, { renderer: 'canvas' });
        inst.current = c;
        c.on('click', (p) => {
          const e = p as ECElementEvent;
          click.current?.({ seriesName: e.seriesName, seriesIndex: e.seriesIndex, dataIndex: e.dataIndex, name: e.name, value: e.value });
        });
        c.on('finished', () => el.current?.setAttribute('data-rendered', 'true'));
        c.setOption(option, true);
        ro = new ResizeObserver(() => c.resize());
        ro.observe(el.current);
      },
      (e) => setFailed(String((e as Error).message ?? e)),
    );
    return () => {
      disposed = true;
      ro?.disconnect();
      inst.current?.dispose();
      inst.current = undefined;
    };
  }, []);

  useEffect(() => {
    inst.current?.setOption(option, true);
  }, [option]);

  if (failed) return <p class="error" role="alert">The chart library did not load: {failed}</p>;
  return (
    <div class="chart-wrap">
      {points === 0 ? <p class="chart-empty">No data in this time range</p> : null}
      <div ref={el} class={`chart${onClick ? ' clickable' : ''}`} style={{ height: `${height}px` }} role="img" aria-label={label} data-points={points} />
    </div>
  );
}

/** A collapsible table of a chart's data, for keyboard and screen-reader users. */
export function ChartData({ children, summary = 'Show data' }: { children: ComponentChildren; summary?: string }) {
  return (
    <details class="chart-data">
      <summary>{summary}</summary>
      <div class="table-scroll small-table">{children}</div>
    </details>
  );
}

/** Shared axis and tooltip styling. */
export const baseOption = {
  color: PALETTE,
  animationDuration: 300,
  textStyle: { fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', color: '#1f2937' },
  tooltip: { trigger: 'axis', confine: true, axisPointer: { type: 'shadow' } },
  grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
} as const;
