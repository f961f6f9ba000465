//! STUB — accounts routes (register, login, refresh, logout, me, API keys, roles).
