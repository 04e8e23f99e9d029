export interface UserRow {
  id: number;
  name: string;
  email: string | null;
  password_hash: string | null;
  created_at: Date;
}

export interface UserRepository {
  findByName(name: string): Promise<UserRow | undefined>;
}
