export type TokenScope = 'read' | 'publish';

/** Who is asking: a signed-in user (through a token or a website session), or nobody. */
export interface Principal {
  userId: number;
  username: string;
  /** 'session' for the website (full rights), else the token's scope */
  scope: TokenScope | 'session';
  tokenId?: string;
}
