/** Standard reason phrases, for when the server sends none (HTTP/2). */
const REASONS: Record<number, string> = {
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No Content",
  300: "Multiple Choices",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  304: "Not Modified",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** The reason phrase for a status: the server's if it sent one, else the standard one. */
export function reasonPhrase(status: number, statusText = ""): string {
  return statusText || REASONS[status] || "";
}

/**
 * A non-2xx answer from the API (or a local header problem, status 0). Its message is the
 * original's text form: `API <status> <reason>: <body>`.
 */
export class ApiError extends Error {
  /** Always `"ApiError"`. */
  override name = "ApiError";
  /**
   * An error for one non-2xx answer.
   *
   * @param status The HTTP status (0 for a local header problem).
   * @param reason The reason phrase (the standard one when the server sent none).
   * @param body The response body, verbatim.
   */
  constructor(readonly status: number, readonly reason: string, readonly body: string) {
    super(`API ${status} ${reason}: ${body}`);
  }
}

/** The request never got an answer: connection failures after retries, or a timeout. */
export class NetworkError extends Error {
  /** Always `"NetworkError"`. */
  override name = "NetworkError";
  /** `kind` is the short class-like name used in retry warnings, e.g. `ConnectionRefusedError`. */
  constructor(message: string, readonly kind: string) {
    super(message);
  }
}

/** The server answered 2xx with something that is not the JSON we expected. */
export class ResponseError extends Error {
  /** Always `"ResponseError"`. */
  override name = "ResponseError";
}
