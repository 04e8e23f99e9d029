/** Builds a publish body (API.md §5) with the platform's FormData, as a real client would. */
export interface PublishBody {
  files: Record<string, string | Uint8Array>;
  fields?: Record<string, unknown>;
  signatures?: string[];
}

export async function encodePublishBody(body: PublishBody): Promise<{ payload: Buffer; contentType: string }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(body.fields ?? {})) {
    form.append(name, typeof value === 'string' ? value : JSON.stringify(value));
  }
  for (const signature of body.signatures ?? []) form.append('signature', signature);
  for (const [path, content] of Object.entries(body.files)) {
    form.append(
      'entry[]',
      new Blob([typeof content === 'string' ? content : new Uint8Array(content)]),
      encodeURIComponent(`package/${path}`),
    );
  }
  const response = new Response(form);
  return { payload: Buffer.from(await response.arrayBuffer()), contentType: response.headers.get('content-type') as string };
}
