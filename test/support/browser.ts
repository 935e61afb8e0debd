import type { Page } from 'playwright-core';

/** The text of a page and every frame in it (the Temporal UI renders Markdown in frames of their own). */
export async function allFramesText(page: Page): Promise<string> {
  const texts = await Promise.all(
    page.frames().map((f) =>
      f
        .locator('body')
        .innerText()
        .catch(() => ''),
    ),
  );
  return texts.join('\n');
}
