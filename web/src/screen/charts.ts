// ECharts, tree-shaken to what the screen draws; imported by the screen route only, so
// the phone pages never load it (their 300 KB budget).
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export { echarts };

// Few colours, read from three metres: one for counts, one for the past, red for late.
export const PALETTE = {
  text: '#e6edf7',
  muted: '#8fa3bf',
  primary: '#3b9cff',
  past: '#5b6b82',
  good: '#2fbf71',
  warn: '#f5a524',
  bad: '#ff4d4f',
  grid: '#22324a',
};
