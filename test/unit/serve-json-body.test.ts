/**
 * The model server's JSON body parser and its MLflow reply writer: JSON.parse with the same
 * prototype-poisoning refusal as Fastify's default parser, and a reply string that is exactly the
 * JSON of the reply document.
 */
import { describe, expect, it } from 'vitest';
import { parseJsonBody, PoisonedJson } from '../../serve/json-body.ts';
import { mlflowReplyJson } from '../../serve/routes/mlflow.ts';

describe('parseJsonBody', () => {
  it('parses what JSON.parse parses', () => {
    const body = JSON.stringify({
      dataframe_split: { columns: ['text'], data: [['a\n"b"'], ['ü 日本 \u{1F600}']] },
      params: { x: [1, null] },
    });
    expect(parseJsonBody(body)).toEqual(JSON.parse(body));
  });

  it('refuses __proto__ and constructor.prototype keys at any depth, as secure-json-parse does', () => {
    for (const body of [
      '{"inputs": ["a"], "__proto__": {"x": 1}}',
      '{"inputs": [{"text": "a", "__proto__": {"x": 1}}]}',
      '{"dataframe_split": {"columns": ["text"], "data": [[{"\\u005f_proto__": 1}]]}}',
      '{"inputs": ["a"], "constructor": {"prototype": {"x": 1}}}',
      '[[[{"constructor": {"prototype": null}}]]]',
    ]) {
      expect(() => parseJsonBody(body), body).toThrow(PoisonedJson);
    }
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('allows the words themselves and a constructor that is not an object with a prototype', () => {
    expect(parseJsonBody('{"inputs": ["__proto__", "constructor"], "params": {"constructor": "x"}}')).toEqual({
      inputs: ['__proto__', 'constructor'],
      params: { constructor: 'x' },
    });
    expect(parseJsonBody('{"constructor": {"name": 1}}')).toEqual({ constructor: { name: 1 } });
  });

  it('refuses an empty or malformed body with a 400 SyntaxError', () => {
    for (const body of ['', '{"inputs": [', 'nope']) {
      let err: unknown;
      try {
        parseJsonBody(body);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SyntaxError);
      expect((err as { statusCode: number }).statusCode).toBe(400);
    }
  });
});

describe('mlflowReplyJson', () => {
  it('is the JSON of the reply document, labels in the model order and quoted', () => {
    const labels = ['ham', 'sp"am', '1', 'ünï'];
    const predictions = [
      { label: 'sp"am', probabilities: Float64Array.from([0.1, 0.7, 0.15, 0.05]) },
      { label: '1', probabilities: Float64Array.from([1e-300, 0, 0.9999999999999999, 1.2e-7]) },
    ];
    const ids = ['2f1c0a8e-0000-4000-8000-000000000001', '2f1c0a8e-0000-4000-8000-000000000002'];
    const r = { entry: { name: 'm"x' }, served: { labels, versionText: '3' }, ids, predictions } as unknown as Parameters<
      typeof mlflowReplyJson
    >[0];
    const expected = {
      predictions: predictions.map((p, i) => ({
        label: p.label,
        probabilities: Object.fromEntries(labels.map((l, k) => [l, p.probabilities[k]])),
        prediction_id: ids[i],
      })),
      model: 'm"x',
      model_version: '3',
    };
    const text = mlflowReplyJson(r);
    expect(JSON.parse(text)).toEqual(expected);
    // Every probability round-trips exactly (the same digits JSON.stringify writes).
    const parsed = JSON.parse(text) as typeof expected;
    parsed.predictions.forEach((p, i) =>
      labels.forEach((l, k) => expect(Object.is(p.probabilities[l], predictions[i].probabilities[k])).toBe(true)),
    );
    expect(JSON.parse(mlflowReplyJson({ ...r, ids: [], predictions: [] }))).toEqual({ predictions: [], model: 'm"x', model_version: '3' });
  });
});
