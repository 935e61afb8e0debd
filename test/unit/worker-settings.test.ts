/** The worker's whole-number settings from the environment: defaults, bounds, and errors that name the variable. */
import { describe, expect, it } from 'vitest';
import { loadConfig, maxConcurrentActivities, trainBufferRows } from '../../stack/config.ts';
import { streamLimitsForBuffer } from '../../activities/pipeline/streamed-source.ts';

describe('worker settings', () => {
  it('default when unset or empty, and take a valid value', () => {
    expect(maxConcurrentActivities({})).toBe(4);
    expect(maxConcurrentActivities({ NIGHTSHIFT_MAX_CONCURRENT_ACTIVITIES: '' })).toBe(4);
    expect(maxConcurrentActivities({ NIGHTSHIFT_MAX_CONCURRENT_ACTIVITIES: '2' })).toBe(2);
    expect(trainBufferRows({})).toBe(16_384);
    expect(trainBufferRows({ NIGHTSHIFT_TRAIN_BUFFER_ROWS: '800' })).toBe(800);
  });

  it('refuse what is not a whole number in range, naming the variable and the range', () => {
    for (const bad of ['0', '1.5', 'many', '1001']) {
      expect(() => maxConcurrentActivities({ NIGHTSHIFT_MAX_CONCURRENT_ACTIVITIES: bad })).toThrow(
        `NIGHTSHIFT_MAX_CONCURRENT_ACTIVITIES must be a whole number from 1 to 1000, got "${bad}"`,
      );
    }
    for (const bad of ['7', '-16384', '16k', '20000000']) {
      expect(() => trainBufferRows({ NIGHTSHIFT_TRAIN_BUFFER_ROWS: bad })).toThrow(
        `NIGHTSHIFT_TRAIN_BUFFER_ROWS must be a whole number from 8 to 10000000, got "${bad}"`,
      );
    }
  });

  it('are read with the rest of the configuration, so a bad value stops a process at start', () => {
    expect(loadConfig({ NIGHTSHIFT_HOME: '/tmp/ns-settings' })).toMatchObject({ maxConcurrentActivities: 4, trainBufferRows: 16_384 });
    expect(() => loadConfig({ NIGHTSHIFT_HOME: '/tmp/ns-settings', NIGHTSHIFT_TRAIN_BUFFER_ROWS: 'abc' })).toThrow(
      /NIGHTSHIFT_TRAIN_BUFFER_ROWS/,
    );
  });

  it('a buffer of N rows streams 8 pages of N/8 rows', () => {
    expect(streamLimitsForBuffer(16_384)).toMatchObject({ pageRows: 2048, bufferPages: 8 });
    expect(streamLimitsForBuffer(800)).toMatchObject({ pageRows: 100, bufferPages: 8 });
  });
});
