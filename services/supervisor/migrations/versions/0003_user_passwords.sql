-- A salted scrypt hash (libs/common/auth.py); NULL = the user can't log in with a password.
ALTER TABLE supervisor.users ADD COLUMN password_hash text;
