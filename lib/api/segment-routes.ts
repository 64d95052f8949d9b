import "server-only";
import type { ApiRoute } from "./registry";
import { idPath } from "./schemas/common";
import { countSegmentBody, createSegmentBody, deletedSegment, segment, segmentCount, segmentList, updateSegmentBody } from "./schemas/segments";

/** The /api/v1/segments operations (registry.ts spreads them into apiRoutes; kept apart to keep that file readable). */
export const segmentRoutes = {
  listSegments: {
    method: "get",
    path: "/segments",
    summary: "Saved segments the key may use, each with the contacts its rule holds now",
    auth: "apikey",
    permission: "segments.manage",
    status: 200,
    answer: { description: "Segments", schema: segmentList },
    errors: [403],
  },
  createSegment: {
    method: "post",
    path: "/segments",
    summary: "Save a segment: a named rule over the department's contacts (a company key names departmentId); a task targets it with segmentIds",
    auth: "apikey",
    permission: "segments.manage",
    body: createSegmentBody,
    status: 201,
    answer: { description: "The segment", schema: segment },
    errors: [400, 403, 409],
  },
  countSegment: {
    method: "post",
    path: "/segments/count",
    summary: "How many contacts an unsaved rule holds now, and the first of them",
    auth: "apikey",
    permission: "segments.manage",
    body: countSegmentBody,
    status: 200,
    answer: { description: "The count and a sample", schema: segmentCount },
    errors: [400, 403],
  },
  getSegment: {
    method: "get",
    path: "/segments/{id}",
    summary: "A segment, with the contacts its rule holds now",
    auth: "apikey",
    permission: "segments.manage",
    params: idPath,
    status: 200,
    answer: { description: "The segment", schema: segment },
    errors: [400, 403, 404],
  },
  updateSegment: {
    method: "patch",
    path: "/segments/{id}",
    summary: "Rename a segment or change its description or rule; tasks already started keep the recipients they had",
    auth: "apikey",
    permission: "segments.manage",
    params: idPath,
    body: updateSegmentBody,
    status: 200,
    answer: { description: "The segment", schema: segment },
    errors: [400, 403, 404, 409],
  },
  deleteSegment: {
    method: "delete",
    path: "/segments/{id}",
    summary: "Delete a segment (refused while a task not yet fully materialised targets it)",
    auth: "apikey",
    permission: "segments.manage",
    params: idPath,
    status: 200,
    answer: { description: "Deleted", schema: deletedSegment },
    errors: [400, 403, 404, 409],
  },
} as const satisfies Record<string, ApiRoute>;
