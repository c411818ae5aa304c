// Mermaid's own parser over the diagrams on stdin (a JSON array of strings): prints, for each, whether it parses and
// what Mermaid read from it (the nodes with their text, the subgraphs, the edges, the direction), as a JSON array.
// Mermaid expects a browser (DOMPurify needs a window): jsdom gives it one. Used by tests/support/test_mermaid_parser.py.
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });

// What a label shows: Mermaid swaps entity codes for placeholders before parsing (encodeEntities) and turns them into
// HTML entities after rendering (decodeEntities); here they become the characters the browser would show.
const NAMED = { quot: '"', amp: '&', lt: '<', gt: '>', apos: "'", nbsp: '\u00a0' };
const shown = (text) =>
  String(text ?? '')
    .replace(/\ufb02\u00b0\u00b0(\d+)\u00b6\u00df/g, (_, code) => String.fromCodePoint(Number(code)))
    .replace(/\ufb02\u00b0(\w+)\u00b6\u00df/g, (whole, name) => NAMED[name] ?? `&${name};`);

let input = '';
for await (const chunk of process.stdin) input += chunk;
const out = [];
for (const text of JSON.parse(input)) {
  try {
    await mermaid.parse(text);
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
    const db = diagram.db;
    out.push({
      ok: true,
      type: diagram.type,
      direction: db.getDirection(),
      nodes: Object.fromEntries([...db.getVertices().entries()].map(([id, v]) => [id, shown(v.text)])),
      subgraphs: db.getSubGraphs().map((s) => ({ id: s.id, title: shown(s.title), nodes: s.nodes })),
      edges: db.getEdges().map((e) => [e.start, e.end, shown(e.text)]),
    });
  } catch (error) {
    out.push({ ok: false, error: String(error && error.message ? error.message : error).split('\n')[0] });
  }
}
process.stdout.write(JSON.stringify(out));
