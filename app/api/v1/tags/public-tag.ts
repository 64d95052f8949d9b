/** A tag as the API answers it. */
export function publicTag(tag: { id: string; departmentId: string; name: string; contacts: number; createdAt: Date }) {
  return { id: tag.id, name: tag.name, departmentId: tag.departmentId, contacts: tag.contacts, createdAt: tag.createdAt.toISOString() };
}
