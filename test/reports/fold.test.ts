import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { foldText, normaliseMessage, squeezeSeparators } from '../../src/reports/text/fold.ts';

describe('foldText', () => {
  test('full-width forms become ASCII and lower case', () => {
    assert.equal(foldText('ＷｅＣｈａｔ：１３８'), 'wechat:138');
    assert.equal(foldText('ＣＡＬＬ ＮＯＷ！'), 'call now!');
  });

  test('circled, dingbat and keycap digits become digits', () => {
    assert.equal(foldText('①②③'), '123');
    assert.equal(foldText('➊➌➑❾'), '1389');
    assert.equal(foldText('1️⃣0️⃣0️⃣8️⃣6️⃣'), '10086');
  });

  test('homoglyph letters become digits only between digits', () => {
    assert.equal(foldText('1OO86'), '10086');
    assert.equal(foldText('138OO138OOO'), '13800138000');
    assert.equal(foldText('138-OO13-8OOO'), '138-0013-8000');
    assert.equal(foldText('10 oil'), '10 oil');
    assert.equal(foldText('13l4 520I1'), '1314 52011');
    assert.equal(foldText('Lol 10 oil'), 'lol 10 oil');
    assert.equal(foldText('O1'), 'o1');
  });

  test('zero-width characters and variation selectors are removed', () => {
    assert.equal(foldText('加\u200b微\u200d信\ufeff'), '加微信');
    assert.equal(foldText('转\u2060账\ufe0f'), '转账');
  });

  test('emoji and decorative symbols become one space', () => {
    assert.equal(foldText('加🔥微💰信'), '加 微 信');
    assert.equal(foldText('★刷单★返利☎'), '刷单 返利');
    assert.equal(foldText('a̶b̶c̶'), 'abc');
  });

  test('is idempotent and leaves plain text alone', () => {
    const plain = '您好,您的验证码是 123456,5 分钟内有效。';
    assert.equal(foldText('您好，验证码'), '您好,验证码');
    assert.equal(foldText(plain), plain);
    for (const s of ['加🔥微💰信', 'ＷｅＣｈａｔ', '1OO86', '➊➌➑'])
      assert.equal(foldText(foldText(s)), foldText(s));
  });
});

describe('squeezeSeparators', () => {
  test('removes separators between CJK characters', () => {
    assert.equal(squeezeSeparators('加 微 信'), '加微信');
    assert.equal(squeezeSeparators('加-微_信*领|取'), '加微信领取');
    assert.equal(squeezeSeparators('刷🔥单'), '刷单');
  });

  test('removes separators between digits', () => {
    assert.equal(squeezeSeparators('1 3 8-0013-8000'), '13800138000');
    assert.equal(squeezeSeparators('call 0800 123 456 now'), 'call 0800123456 now');
  });

  test('keeps sentence punctuation, decimals and words apart', () => {
    assert.equal(squeezeSeparators('您好，请回复。'), '您好，请回复。');
    assert.equal(squeezeSeparators('3.5% of 1,000'), '3.5% of 1,000');
    assert.equal(squeezeSeparators('free entry to win'), 'free entry to win');
    assert.equal(squeezeSeparators('加 V 信'), '加 V 信');
  });

  test('normaliseMessage folds then squeezes', () => {
    assert.equal(normaliseMessage('加 🔥 微 ★ 信 １ ３ ８-OO１３-８OOO'), '加微信 13800138000');
  });
});
