#!/usr/bin/env python3
# Usage: python3 api-spec/specdiff.py BEFORE.json AFTER.json
"""Normalised diff of two OpenAPI documents: paths, methods, and the JSON field names of request
and success response bodies (refs resolved, allOf merged), plus what got stricter."""
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))

def resolve(doc, s, depth=0):
    if depth > 12 or not isinstance(s, dict): return {}
    if '$ref' in s:
        return resolve(doc, doc['components']['schemas'].get(s['$ref'].split('/')[-1], {}), depth + 1)
    return s

def fields(doc, s, prefix='', depth=0, out=None):
    out = set() if out is None else out
    s = resolve(doc, s, depth)
    if depth > 10: return out
    for key in ('allOf', 'oneOf', 'anyOf'):
        for sub in s.get(key, []):
            fields(doc, sub, prefix, depth + 1, out)
    for name, prop in s.get('properties', {}).items():
        out.add(prefix + '/' + name)
        fields(doc, prop, prefix + '/' + name, depth + 1, out)
    if 'items' in s:
        fields(doc, s['items'], prefix + '[]', depth + 1, out)
    return out

def stats(doc, s, depth=0, acc=None):
    acc = acc if acc is not None else {'required': 0, 'enums': 0, 'closed': 0}
    s = resolve(doc, s, depth)
    if depth > 10: return acc
    acc['required'] += len(s.get('required', []))
    acc['enums'] += 1 if 'enum' in s else 0
    acc['closed'] += 1 if s.get('additionalProperties') is False else 0
    for key in ('allOf', 'oneOf', 'anyOf'):
        for sub in s.get(key, []): stats(doc, sub, depth + 1, acc)
    for prop in s.get('properties', {}).values(): stats(doc, prop, depth + 1, acc)
    if 'items' in s: stats(doc, s['items'], depth + 1, acc)
    return acc

def ops(doc):
    for path, item in doc['paths'].items():
        for m, op in item.items():
            if m in ('get', 'post', 'put', 'patch', 'delete'):
                yield (m.upper() + ' ' + path), op

def body(op):
    return op.get('requestBody', {}).get('content', {}).get('application/json', {}).get('schema')

def ok(op):
    for code, r in op.get('responses', {}).items():
        if code.startswith('2'):
            s = r.get('content', {}).get('application/json', {}).get('schema')
            if s: return s
    return None

A = dict(ops(a)); B = dict(ops(b))
print('operations: before', len(A), 'after', len(B))
for k in sorted(set(A) - set(B)): print('  removed', k)
for k in sorted(set(B) - set(A)): print('  added', k)
changed = 0; stricter = {'required': 0, 'enums': 0, 'closed': 0, 'if_match': 0, 'examples': 0}
for k in sorted(set(A) & set(B)):
    oa, ob = A[k], B[k]
    for label, get in (('request', body), ('response', ok)):
        fa = fields(a, get(oa)) if get(oa) else set(); fb = fields(b, get(ob)) if get(ob) else set()
        if fa != fb:
            changed += 1
            if fa - fb: print(f'  {k} {label}: fields gone {sorted(fa - fb)[:8]}')
            if fb - fa: print(f'  {k} {label}: fields new {sorted(fb - fa)[:8]}')
    if body(oa) and body(ob):
        sa, sb = stats(a, body(oa)), stats(b, body(ob))
        for x in ('required', 'enums', 'closed'): stricter[x] += max(0, sb[x] - sa[x])
    if any(p.get('name') == 'If-Match' for p in ob.get('parameters', [])) and not any(p.get('name') == 'If-Match' for p in oa.get('parameters', [])):
        stricter['if_match'] += 1
    ex = lambda op: {c: (r.get('content', {}).get('application/problem+json', {}).get('example') or {}).get('code') for c, r in op.get('responses', {}).items() if not c.startswith('2')}
    if len(set(v for v in ex(ob).values() if v)) > len(set(v for v in ex(oa).values() if v)): stricter['examples'] += 1
print('operations whose request/response field names changed:', changed)
print('stricter:', stricter)
ta = {t['name'] for t in a.get('tags', [])}; tb = {t['name']: t.get('description') for t in b.get('tags', [])}
used = {t for _, op in ops(b) for t in op.get('tags', [])}
print('tags used without description after:', sorted(used - {k for k, v in tb.items() if v}))
