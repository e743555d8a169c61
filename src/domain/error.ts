/** An error the API turns into a 4xx answer; `field` names the input at fault, when one is. */
export class AppError extends Error {
  constructor(
    readonly statusCode: 400 | 401 | 403 | 404 | 409 | 413 | 429,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export const badInput = (field: string, message: string) => new AppError(400, message, field);
export const notFound = (type: string, id: number | string) => new AppError(404, `${type} ${id} not found`);
export const forbidden = (message: string) => new AppError(403, message);
export const conflict = (message: string, field?: string) => new AppError(409, message, field);
