/** Types of scripts/folder-layers.js (plain JS so that eslint.config.js can load it). */
export type Layer = 'ml' | 'stack' | 'registry' | 'data' | 'activities' | 'workflows' | 'runs' | 'views' | 'serve' | 'worker' | 'client';
export declare const valueImports: Record<Layer, Layer[]>;
export declare const typeImports: Partial<Record<Layer, Layer[]>>;
export declare const fileExceptions: Record<string, string>;
export declare const forbiddenPackages: Partial<Record<Layer, { pattern: string; why: string }>>;
export declare const layers: Layer[];
