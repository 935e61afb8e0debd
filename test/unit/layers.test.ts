/**
 * The folder map (scripts/folder-layers.js) as a test: every cross-folder import is listed and
 * checked, so a new import that runs back up fails here, naming the file. Type-only imports are
 * told apart: a workflow may name an activity's payload type, never load its code.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fileExceptions, forbiddenPackages, layers, typeImports, valueImports, type Layer } from '../../scripts/folder-layers.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'migrations' || name === 'dashboard' ? [] : sourceFiles(full);
    return /\.(ts|cts)$/.test(name) ? [full] : [];
  });
}

interface Edge {
  from: Layer;
  file: string;
  target: string;
  typeOnly: boolean;
}

const IMPORT = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/gm;

function crossFolderImports(): Edge[] {
  const edges: Edge[] = [];
  for (const layer of layers) {
    for (const file of sourceFiles(path.join(root, layer))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(IMPORT)) {
        const spec = m[3] ?? m[4];
        const target = path.relative(root, path.resolve(path.dirname(file), spec));
        if (target.split(path.sep)[0] === layer) continue;
        // `import { type A, type B }` is type-only too.
        const named = /\{([^}]*)\}/.exec(m[0])?.[1];
        const allNamedTypes = named !== undefined && named.split(',').every((n) => !n.trim() || /^type\s/.test(n.trim()));
        edges.push({ from: layer, file: path.relative(root, file), target, typeOnly: Boolean(m[2]) || allNamedTypes });
      }
    }
  }
  return edges;
}

function allowed(edge: Edge): boolean {
  const to = edge.target.split(path.sep)[0] as Layer;
  if (fileExceptions[`${edge.from} -> ${edge.target}`]) return true;
  if (valueImports[edge.from].includes(to)) return true;
  return edge.typeOnly && (typeImports[edge.from] ?? []).includes(to);
}

describe('the folder map', () => {
  const edges = crossFolderImports();

  it('finds the imports it checks (a parser that sees nothing would pass anything)', () => {
    expect(edges.filter((e) => e.from === 'client').length).toBeGreaterThan(50);
    expect(edges.some((e) => e.from === 'workflows' && e.typeOnly)).toBe(true);
    // The rule itself refuses a back edge.
    expect(allowed({ from: 'ml', file: 'ml/x.ts', target: 'registry/pool.ts', typeOnly: false })).toBe(false);
    expect(allowed({ from: 'workflows', file: 'workflows/x.ts', target: 'ml/drift.ts', typeOnly: false })).toBe(false);
    expect(allowed({ from: 'workflows', file: 'workflows/x.ts', target: 'ml/drift.ts', typeOnly: true })).toBe(true);
  });

  it('has no import that runs back up', () => {
    const back = edges.filter((e) => !allowed(e)).map((e) => `${e.file} imports ${e.target}${e.typeOnly ? ' (type)' : ''}`);
    expect(back).toEqual([]);
  });

  it('keeps ml/ free of PostgreSQL, HTTP and Temporal, and registry/ free of Temporal', () => {
    const offenders: string[] = [];
    for (const [layer, rule] of Object.entries(forbiddenPackages)) {
      const pattern = rule!.pattern;
      for (const file of sourceFiles(path.join(root, layer))) {
        for (const m of readFileSync(file, 'utf8').matchAll(/from\s+'([^.][^']*)'/g))
          if (new RegExp(pattern).test(m[1])) offenders.push(`${path.relative(root, file)} imports ${m[1]}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
