import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, jsonForScript } from './escape.js';

test('escapeHtml neutralises markup, both quote styles and invisible control characters', () => {
  assert.equal(escapeHtml(`<script>alert("x")</script> & 'y'`), '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;');
  assert.equal(escapeHtml('a\u001b[31mb\u0000'), 'a\\x1b[31mb\\x00');
  assert.equal(escapeHtml('tab\tand\nnewline'), 'tab\tand\nnewline');
});

test('jsonForScript cannot end its script element and reads back unchanged', () => {
  const hostile = { path: '</script><script>alert(1)</script>', c: '<!-- & -->', ls: 'a\u2028b\u2029c', n: 1.23456789012, big: 12n };
  const s = jsonForScript(hostile);
  assert.ok(!/[<>&\u2028\u2029]/.test(s), s);
  assert.deepEqual(JSON.parse(s), { ...hostile, n: 1.234568, big: '12' });
});
