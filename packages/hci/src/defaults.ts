/** TCP port `pair sim` listens on by default; the `sim` transport URI dials it. */
export const DEFAULT_SIM_PORT = 9300;
export const DEFAULT_SIM_HOST = '127.0.0.1';
