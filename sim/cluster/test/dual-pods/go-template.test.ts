import { describe, expect, it } from 'vitest';
import { renderServerPatch, TemplateError } from '../../behaviour/dual-pods/go-template.ts';

const data = { NodeName: 'node-a', LocalVolume: '' };

describe('server-patch template (protocol 2.1: Go text/template with ProviderData)', () => {
  it('substitutes .NodeName and .LocalVolume (never filled in, so empty)', () => {
    expect(renderServerPatch('claimName: vcp-local-{{ .NodeName }}\nvol: "{{.LocalVolume}}"\n', data)).toBe('claimName: vcp-local-node-a\nvol: ""\n');
  });

  it('leaves text without actions unchanged', () => {
    const text = 'spec:\n  containers:\n  - name: inference-server\n    image: "x"\n';
    expect(renderServerPatch(text, data)).toBe(text);
  });

  it('applies trim markers and drops comments', () => {
    expect(renderServerPatch('a: {{- /* note */ -}}  \n  {{ .NodeName }}\n', data)).toBe('a:node-a\n');
    expect(renderServerPatch('x {{- .NodeName }} y', data)).toBe('xnode-a y');
    expect(renderServerPatch('x {{ .NodeName -}}   y', data)).toBe('x node-ay');
  });

  it('renders string literals and the dot as Go prints a struct', () => {
    expect(renderServerPatch('{{ "q\\"x" }} {{ `raw` }} {{ . }}', data)).toBe('q"x raw {node-a }');
  });

  it('fails on an unknown field as Go does', () => {
    expect(() => renderServerPatch('a: 1\nb: {{ .Node }}', data)).toThrow(
      'template: serverPatch:2:6: executing "serverPatch" at <.Node>: can\'t evaluate field Node in type api.ProviderData',
    );
    expect(() => renderServerPatch('{{ .NodeName.X }}', data)).toThrow("can't evaluate field X in type string");
  });

  it('fails on unclosed actions and undefined functions at parse time', () => {
    expect(() => renderServerPatch('a\nb: {{ .NodeName', data)).toThrow('template: serverPatch:2: unclosed action');
    expect(() => renderServerPatch('{{ upper .NodeName }}', data)).toThrow('template: serverPatch:1: function "upper" not defined');
    expect(() => renderServerPatch('{{ }}', data)).toThrow(TemplateError);
  });
});
