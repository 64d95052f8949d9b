/** The articles of the benchmarks' newsletter: English and Chinese, each with a link. */
export const ARTICLES = [
  ["Spring collection is here", "Fresh colours and lighter fabrics for the new season, made to last and priced to move."],
  ["春季新品上市", "全新春季系列现已上线，轻盈面料与清新配色，欢迎选购。会员专享九折优惠，数量有限，售完即止。"],
  ["Free delivery this week", "Every order over 99 ships free until Sunday night, wherever you are in the country."],
  ["Meet our new store", "We opened a new flagship store downtown with a café, a repair corner and a kids' area."],
] as const;
