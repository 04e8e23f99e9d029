// biome-ignore lint/suspicious/noEmptyInterface: filled as the use cases move off SQL
export interface MirrorRepository {}
