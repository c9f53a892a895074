//! The one vocabulary of problem codes: every code the API answers with, its HTTP status, and its
//! English and Chinese title and detail, in one table. A code without a status or a text cannot
//! be written (the macro needs all of them), and `Code` is matched exhaustively wherever it is
//! rendered. `{name}` placeholders in a detail are filled from the error's arguments.
//!
//! The status is the HTTP status `crm-api` answers with; the use cases name codes, never statuses.

/// A code's title and detail template in one language.
pub type Text = (&'static str, &'static str);

macro_rules! codes {
    ($($variant:ident = $code:literal, $status:literal, ($en_t:literal, $en_d:literal), ($zh_t:literal, $zh_d:literal);)*) => {
        /// A stable problem code (`customer.not_found`). Clients branch on its string.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code { $($variant),* }

        impl Code {
            /// Every code, in table order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The dotted string clients see.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code),* }
            }

            /// The HTTP status the API answers this code with.
            pub fn status(self) -> u16 {
                match self { $(Code::$variant => $status),* }
            }

            /// `(title, detail template)` in English.
            pub fn english(self) -> Text {
                match self { $(Code::$variant => ($en_t, $en_d)),* }
            }

            /// `(title, detail template)` in Chinese.
            pub fn chinese(self) -> Text {
                match self { $(Code::$variant => ($zh_t, $zh_d)),* }
            }

            /// The code a dotted string names.
            pub fn parse(s: &str) -> Option<Code> {
                match s { $($code => Some(Code::$variant),)* _ => None }
            }
        }
    };
}

codes! {
    ValidationFailed = "validation.failed", 422,
        ("Validation failed", "The request has {count} invalid field(s); see errors."),
        ("校验失败", "请求中有 {count} 个字段无效，详见 errors。");
    RequestMalformedJson = "request.malformed_json", 400,
        ("Malformed JSON", "The request body is not valid JSON: {reason}"),
        ("JSON 格式错误", "请求体不是有效的 JSON：{reason}");
    RequestUnsupportedMediaType = "request.unsupported_media_type", 415,
        ("Unsupported media type", "Send the body as application/json."),
        ("不支持的媒体类型", "请求体请使用 application/json。");
    RequestBodyTooLarge = "request.body_too_large", 413,
        ("Request body too large", "The body exceeds the limit of {limit} bytes."),
        ("请求体过大", "请求体超过 {limit} 字节的上限。");
    RequestInvalidQuery = "request.invalid_query", 400,
        ("Invalid query parameter", "A query parameter could not be read; see errors."),
        ("查询参数无效", "查询参数无法解析，详见 errors。");
    RequestInvalidPath = "request.invalid_path", 400,
        ("Invalid path parameter", "A path parameter could not be read; see errors."),
        ("路径参数无效", "路径参数无法解析，详见 errors。");
    RequestBadRequest = "request.bad_request", 400,
        ("Bad request", "The request could not be read."),
        ("错误的请求", "无法解析该请求。");
    RouteNotFound = "route.not_found", 404,
        ("Not found", "No resource at {path}."),
        ("未找到", "{path} 处没有资源。");
    MethodNotAllowed = "method.not_allowed", 405,
        ("Method not allowed", "{method} is not allowed here; allowed: {allow}."),
        ("方法不被允许", "此处不允许 {method}；允许的方法：{allow}。");
    AuthMissingToken = "auth.missing_token", 401,
        ("Authentication required", "Send Authorization: Bearer <access token>."),
        ("需要身份认证", "请携带 Authorization: Bearer <访问令牌>。");
    AuthInvalidToken = "auth.invalid_token", 401,
        ("Invalid token", "The access token is invalid."),
        ("令牌无效", "访问令牌无效。");
    AuthTokenExpired = "auth.token_expired", 401,
        ("Token expired", "The access token has expired; refresh it."),
        ("令牌已过期", "访问令牌已过期，请刷新。");
    AuthInvalidCredentials = "auth.invalid_credentials", 401,
        ("Invalid credentials", "The tenant, username or password is wrong."),
        ("凭据无效", "租户、用户名或密码错误。");
    AuthUserDisabled = "auth.user_disabled", 401,
        ("Account disabled", "This account is disabled."),
        ("账号已停用", "该账号已停用。");
    AuthInvalidRefreshToken = "auth.invalid_refresh_token", 401,
        ("Invalid refresh token", "The refresh token is invalid, expired or revoked; sign in again."),
        ("刷新令牌无效", "刷新令牌无效、已过期或已撤销，请重新登录。");
    AuthRefreshTokenReused = "auth.refresh_token_reused", 401,
        ("Refresh token reused", "This refresh token was already used; the session has been revoked. Sign in again."),
        ("刷新令牌被重复使用", "该刷新令牌已被使用，会话已撤销，请重新登录。");
    PermissionDenied = "permission.denied", 403,
        ("Permission denied", "This needs the permission {permission}."),
        ("没有权限", "此操作需要 {permission} 权限。");
    UserNotFound = "user.not_found", 404,
        ("User not found", "No such user."),
        ("用户不存在", "没有该用户。");
    CustomerNotFound = "customer.not_found", 404,
        ("Customer not found", "No such customer."),
        ("客户不存在", "没有该客户。");
    ContactNotFound = "contact.not_found", 404,
        ("Contact not found", "No such contact."),
        ("联系人不存在", "没有该联系人。");
    TagNotFound = "tag.not_found", 404,
        ("Tag not found", "No such tag."),
        ("标签不存在", "没有该标签。");
    SegmentNotFound = "segment.not_found", 404,
        ("Segment not found", "No such segment."),
        ("分群不存在", "没有该分群。");
    SegmentNameTaken = "segment.name_taken", 409,
        ("Segment exists", "Another segment already has this name."),
        ("分群已存在", "已有同名分群。");
    SegmentNotStatic = "segment.not_static", 409,
        ("Not a static segment", "Members are added and removed only on static segments; rule-based ones follow their rules."),
        ("不是静态分群", "只有静态分群可以手动添加或移除成员；规则分群的成员由规则决定。");
    SegmentRulesStale = "segment.rules_stale", 409,
        ("Segment rules no longer valid", "The rules name a custom field or tag that no longer exists or that you may not use; update the rules."),
        ("分群规则已失效", "规则引用的自定义字段或标签已不存在或您无权使用，请更新规则。");
    CustomFieldNotFound = "custom_field.not_found", 404,
        ("Custom field not found", "No such custom field."),
        ("自定义字段不存在", "没有该自定义字段。");
    CustomFieldKeyTaken = "custom_field.key_taken", 409,
        ("Key taken", "This object type already has a custom field with this key."),
        ("字段键已存在", "该对象类型已有同键的自定义字段。");
    CustomFieldOptionInUse = "custom_field.option_in_use", 409,
        ("Option in use", "A record still holds an option this change removes."),
        ("选项正在使用", "仍有记录使用本次要删除的选项。");
    TagNameTaken = "tag.name_taken", 409,
        ("Tag exists", "This category already has a tag with this name."),
        ("标签已存在", "该分类下已有同名标签。");
    CustomerNotOrganization = "customer.not_organization", 409,
        ("Not an organization", "Only organization customers have contacts."),
        ("不是企业客户", "只有企业客户才有联系人。");
    CustomerExternalIdTaken = "customer.external_id_taken", 409,
        ("External id taken", "Another customer of this source has this external id."),
        ("外部编号已存在", "该来源已有使用此外部编号的客户。");
    CustomerAlreadyOwned = "customer.already_owned", 409,
        ("Customer already owned", "Someone owns this customer; only customers in the public pool can be claimed."),
        ("客户已有负责人", "该客户已有负责人，只能领取公海中的客户。");
    CustomerClaimLimitReached = "customer.claim_limit_reached", 409,
        ("Claim limit reached", "You own as many customers as the tenant allows; release some first."),
        ("已达领取上限", "您拥有的客户数已达上限，请先释放部分客户。");
    CustomerInPool = "customer.in_pool", 409,
        ("Customer in the pool", "This customer has no owner already."),
        ("客户已在公海", "该客户已经没有负责人。");
    CustomerDuplicate = "customer.duplicate", 409,
        ("Probable duplicate", "A customer with the same phone, email, id number, or name at the same company exists; see duplicates."),
        ("疑似重复客户", "已存在电话、邮箱、证件号相同或同公司同名的客户，详见 duplicates。");
    CustomerMergeBothMembers = "customer.merge_both_members", 409,
        ("Both customers are members", "Cancel one of the two memberships before merging the customers."),
        ("两个客户都是会员", "合并客户前请先注销其中一个会员资格。");
    CustomerMerged = "customer.merged", 409,
        ("Customer merged", "This customer was merged into another and cannot be restored."),
        ("客户已合并", "该客户已合并到其他客户，不能恢复。");
    CustomerNotDeleted = "customer.not_deleted", 409,
        ("Customer not deleted", "Only a deleted customer can be restored."),
        ("客户未被删除", "只能恢复已删除的客户。");
    CustomerKeyOutOfScope = "customer.key_out_of_scope", 403,
        ("Key outside your data scope", "You may use only the keys of customers in your data scope; creating by key needs a tenant-wide scope."),
        ("编号不在数据权限范围内", "您只能使用数据权限范围内客户的编号；按编号新建客户需要全租户的数据权限。");
    CustomerMergeConflict = "customer.merge_conflict", 409,
        ("Customer already merged", "A customer named in this merge has been merged into another; the field names which duplicate, none means the target."),
        ("客户已被合并", "本次合并涉及的客户已合并到其他客户；字段指明是哪个被合并客户，未指明则是合并目标。");
    CustomerChangedConcurrently = "customer.changed_concurrently", 409,
        ("Customer changed meanwhile", "The customer was changed by another request at the same time; read it again and retry."),
        ("客户已被同时修改", "该客户同时被其他请求修改，请重新读取后再试。");
    CustomerDeleted = "customer.deleted", 409,
        ("Customer deleted", "This key names a deleted customer; restore it before changing it."),
        ("客户已删除", "该编号对应的客户已删除，请先恢复再修改。");
    MemberNotFound = "member.not_found", 404,
        ("Member not found", "No such member."),
        ("会员不存在", "没有该会员。");
    MemberLevelNotFound = "member_level.not_found", 404,
        ("Member level not found", "No such member level."),
        ("会员级别不存在", "没有该会员级别。");
    MemberIdentityNotFound = "member_identity.not_found", 404,
        ("Identity not found", "The member has no such identity."),
        ("外部身份不存在", "该会员没有此外部身份。");
    EnrollmentNotFound = "enrollment.not_found", 404,
        ("Application not found", "No such enrollment application."),
        ("入会申请不存在", "没有该入会申请。");
    CardNumberNotFound = "card_number.not_found", 404,
        ("Card number not found", "No such card number in the pool."),
        ("卡号不存在", "卡号池中没有该卡号。");
    MemberLevelValueTaken = "member_level.value_taken", 409,
        ("Level value taken", "Another level has this level value."),
        ("级别值已被使用", "已有其他级别使用该级别值。");
    MemberLevelNameTaken = "member_level.name_taken", 409,
        ("Level name taken", "Another level has this name."),
        ("级别名称已被使用", "已有其他级别使用该名称。");
    MemberLevelInUse = "member_level.in_use", 409,
        ("Level in use", "Members hold this level; move them to another level first."),
        ("级别正在使用", "仍有会员处于该级别，请先调整其级别。");
    CardNumberPoolEmpty = "card_number.pool_empty", 409,
        ("Card number pool empty", "No free card number is left in the pool; add numbers with POST /api/v1/card-numbers/batch."),
        ("卡号池已空", "卡号池中没有可用卡号，请先批量新增卡号。");
    CardNumberNotFree = "card_number.not_free", 409,
        ("Card number not free", "This card number is assigned or retired; a number is never given twice."),
        ("卡号不可用", "该卡号已分配或已停用，卡号不能重复使用。");
    CardNumberSerialsExhausted = "card_number.serials_exhausted", 409,
        ("Card serials exhausted", "Automatic card numbers have used every serial of the configured width; widen card_serial_width or change the prefix."),
        ("卡号流水号已用尽", "自动卡号已用完当前位数的所有流水号，请增加流水号位数或更换前缀。");
    CardNumberTaken = "card_number.taken", 409,
        ("Card number exists", "This card number exists already."),
        ("卡号已存在", "该卡号已存在。");
    CardNumberInUse = "card_number.in_use", 409,
        ("Card number in use", "A number that was ever assigned stays on record and cannot be deleted."),
        ("卡号已使用", "已分配过的卡号须保留记录，不能删除。");
    EnrollmentNotPending = "enrollment.not_pending", 409,
        ("Application already decided", "Only a pending application can be changed, approved or rejected."),
        ("申请已处理", "只能修改、批准或拒绝待审核的申请。");
    EnrollmentIncomplete = "enrollment.incomplete", 409,
        ("Application incomplete", "Key information is missing or invalid (see the review findings); correct the application first."),
        ("申请资料不完整", "关键信息缺失或无效（见审核结果），请先补正申请。");
    EnrollmentCustomerAmbiguous = "enrollment.customer_ambiguous", 409,
        ("Several customers match", "More than one customer has this phone or id number; name the one to link with customer_id."),
        ("匹配到多个客户", "有多个客户使用该电话或证件号，请用 customer_id 指定要关联的客户。");
    EnrollmentCustomerOutOfScope = "enrollment.customer_out_of_scope", 409,
        ("Customer outside your data scope", "This person is a customer outside your data scope; a colleague who sees that customer must approve."),
        ("客户不在数据权限内", "此人已是您数据权限以外的客户，请由能查看该客户的同事审批。");
    EnrollmentExternalIdTaken = "enrollment.external_id_taken", 409,
        ("Application key in use", "Another application outside your data scope was submitted under this source and external_id."),
        ("申请编号已被使用", "您数据权限以外的另一份申请已使用该来源和外部编号。");
    MemberAlreadyEnrolled = "member.already_enrolled", 409,
        ("Already a member", "This customer is a member already."),
        ("已是会员", "该客户已是会员。");
    MemberInvalidTransition = "member.invalid_transition", 409,
        ("Not possible in this state", "The membership's current state does not allow this change."),
        ("当前状态不允许", "会员当前状态不允许此操作。");
    MemberLookupAmbiguous = "member.lookup_ambiguous", 409,
        ("Several members match", "More than one member has this phone; look up by card number instead."),
        ("匹配到多个会员", "有多个会员使用该电话，请改用卡号查询。");
    MemberIdentityTaken = "member_identity.taken", 409,
        ("Identity linked to another member", "Another member of this tenant has this identity."),
        ("外部身份已被关联", "本租户的其他会员已关联该外部身份。");
    OrgUnitNotFound = "org_unit.not_found", 404,
        ("Org unit not found", "No such org unit."),
        ("组织单元不存在", "没有该组织单元。");
    PositionNotFound = "position.not_found", 404,
        ("Position not found", "No such position."),
        ("岗位不存在", "没有该岗位。");
    ApiClientNotFound = "api_client.not_found", 404,
        ("API client not found", "No such API client."),
        ("接口客户端不存在", "没有该接口客户端。");
    TenantNotFound = "tenant.not_found", 404,
        ("Tenant not found", "No such tenant."),
        ("租户不存在", "没有该租户。");
    ResourceNotFound = "resource.not_found", 404,
        ("Not found", "No such resource."),
        ("未找到", "没有该资源。");
    PointsPlanNotFound = "points_plan.not_found", 404,
        ("Points plan not found", "No such points plan."),
        ("积分方案不存在", "没有该积分方案。");
    PointsPlanOverlaps = "points_plan.overlaps", 409,
        ("Plan periods overlap", "Another points plan covers some of these days; plans may not overlap."),
        ("积分方案周期重叠", "已有积分方案覆盖其中部分日期，方案周期不能重叠。");
    PointsPlanPeriodLocked = "points_plan.period_locked", 409,
        ("Plan period in use", "The plan has ledger entries; its period can no longer change."),
        ("积分方案周期已使用", "该方案已有积分流水，周期不能再修改。");
    PurchaseNotFound = "purchase.not_found", 404,
        ("Purchase not found", "No such purchase. A payment names the purchase by the id its push answered; push the purchase first (pushes are idempotent), then retry the payment."),
        ("消费记录不存在", "没有该消费记录。付款须使用推送消费记录时返回的编号；请先推送消费记录（推送可安全重试），再重试付款。");
    PurchaseExternalIdReused = "purchase.external_id_reused", 409,
        ("External id used for another purchase", "This source's external id was first pushed with a different body; a retry must repeat the first body."),
        ("外部编号已用于其他消费", "该来源的外部编号首次推送时的内容不同；重试必须与首次推送的内容一致。");
    PaymentExternalIdReused = "payment.external_id_reused", 409,
        ("External id used for another payment", "This purchase already has a payment or refund with this external id and a different body."),
        ("外部编号已用于其他付款", "该消费记录已有使用此外部编号且内容不同的付款或退款。");
    PurchaseCancelled = "purchase.cancelled", 409,
        ("Purchase cancelled", "The purchase is cancelled; it takes no more payments or refunds."),
        ("消费记录已取消", "该消费记录已取消，不能再付款或退款。");
    RefundExceedsAmount = "purchase.refund_exceeds_amount", 409,
        ("Refund exceeds the purchase", "The refunds would exceed the purchase's amount."),
        ("退款超过消费金额", "退款合计将超过消费金额。");
    PointsInsufficient = "points.insufficient", 409,
        ("Not enough points", "The member's available points of this kind in this plan are fewer than the debit."),
        ("积分不足", "会员在该方案中此类可用积分少于本次扣减。");
    PointsSourceReused = "points.source_reused", 409,
        ("Source id used for other points", "Points of this source type, source id and kind were already written with a different member, delta or reason."),
        ("来源编号已使用", "该来源类型、来源编号和积分类型已记过账，且会员、分值或原因不同。");
    CarryOverPlanNotEnded = "carry_over.plan_not_ended", 409,
        ("Plan not ended", "A plan is carried over from the day after its last day (in the tenant's time zone)."),
        ("方案未结束", "积分方案须在其最后一天之后（按租户时区）才能结转。");
    CarryOverRunNotFound = "carry_over_run.not_found", 404,
        ("Carry-over run not found", "No such carry-over run."),
        ("结转批次不存在", "没有该结转批次。");
    CarryOverRunning = "carry_over.running", 409,
        ("Carry-over still running", "The run is not finished yet; reverse it once it has completed."),
        ("结转仍在进行", "该结转批次尚未完成，完成后才能反结转。");
    RewardNotFound = "reward.not_found", 404,
        ("Reward not found", "No such reward."),
        ("奖励不存在", "没有该奖励。");
    RewardNotEditable = "reward.not_editable", 409,
        ("Reward no longer editable", "Only an issued reward can be edited or redeemed; this one is redeemed or cancelled."),
        ("奖励不可修改", "只有已发放的奖励可以修改或兑现；该奖励已兑现或已取消。");
    OrgUnitHasChildren = "org_unit.has_children", 409,
        ("Org unit has children", "Only a leaf unit can be deleted; move or delete the units below it first."),
        ("组织单元有下级", "只能删除末级单元，请先移走或删除其下级单元。");
    OrgUnitHasUsers = "org_unit.has_users", 409,
        ("Org unit has users", "Move the users of this unit elsewhere before deleting it."),
        ("组织单元下有用户", "删除前请先将该单元的用户调到其他单元。");
    OrgUnitCycle = "org_unit.cycle", 409,
        ("Move would create a cycle", "A unit cannot be moved under itself or a unit below it."),
        ("移动会形成循环", "不能把单元移到自身或其下级单元之下。");
    PositionInUse = "position.in_use", 409,
        ("Position in use", "Users still hold this position; take it from them first."),
        ("岗位正在使用", "仍有用户担任该岗位，请先取消。");
    PositionNameTaken = "position.name_taken", 409,
        ("Name taken", "Another position has this name."),
        ("名称已存在", "已有同名岗位。");
    UserUsernameTaken = "user.username_taken", 409,
        ("Username taken", "Another user of this tenant has this username."),
        ("用户名已存在", "本租户已有该用户名。");
    UserCannotDisableSelf = "user.cannot_disable_self", 409,
        ("Cannot disable yourself", "Ask another administrator."),
        ("不能停用自己", "请联系其他管理员。");
    TenantCodeTaken = "tenant.code_taken", 409,
        ("Tenant code taken", "Another tenant has this code."),
        ("租户代码已存在", "已有相同代码的租户。");
    ApiClientRevoked = "api_client.revoked", 409,
        ("API client revoked", "A revoked client cannot be changed."),
        ("接口客户端已撤销", "已撤销的客户端不能修改。");
    AuthLocked = "auth.locked", 429,
        ("Temporarily locked", "Too many failed sign-ins; retry after {retry_after} seconds."),
        ("暂时锁定", "登录失败次数过多，请在 {retry_after} 秒后重试。");
    AuthInvalidClient = "auth.invalid_client", 401,
        ("Invalid client", "The client id or secret is wrong, or the client is revoked."),
        ("客户端无效", "客户端 ID 或密钥错误，或客户端已撤销。");
    AuthTokenRevoked = "auth.token_revoked", 401,
        ("Token revoked", "This access token was revoked (signed out, password reset, disabled or secret rotated); get a new one."),
        ("令牌已撤销", "该访问令牌已被撤销（已退出、密码已重置、账号停用或密钥已轮换），请重新获取。");
    PermissionGrantExceedsOwn = "permission.grant_exceeds_own", 403,
        ("Grant exceeds your rights", "You can only grant permissions and data scopes you hold yourself."),
        ("授权超出自身权限", "只能授予自己拥有的权限和数据范围。");
    UserPlatformAdminProtected = "user.platform_admin_protected", 403,
        ("Platform administrator protected", "Only a platform administrator may change, disable or reset a platform administrator."),
        ("平台管理员受保护", "只有平台管理员可以修改、停用平台管理员或重置其密码。");
    UserRightsExceedOwn = "user.rights_exceed_own", 403,
        ("User holds more rights", "You cannot set the password of a user who holds permissions or a data scope you do not hold."),
        ("该用户权限更高", "不能为拥有你所没有的权限或数据范围的用户设置密码。");
    UserLastAdministrator = "user.last_administrator", 409,
        ("Last administrator", "The tenant must keep at least one active user holding the Administrator position."),
        ("最后一位管理员", "租户必须至少保留一位担任管理员岗位的启用用户。");
    PositionBuiltIn = "position.built_in", 409,
        ("Built-in position", "The built-in Administrator position cannot be changed or deleted."),
        ("内置岗位", "内置的管理员岗位不能修改或删除。");
    AuthClientRevoked = "auth.client_revoked", 401,
        ("Client revoked", "This API client has been revoked."),
        ("客户端已撤销", "该接口客户端已被撤销。");
    AuthUserRequired = "auth.user_required", 403,
        ("Staff user required", "This needs a staff user's token, not a client token."),
        ("需要员工账号", "此操作需要员工令牌，而非客户端令牌。");
    ResourcePreconditionFailed = "resource.precondition_failed", 412,
        ("Precondition failed", "The resource changed since you read it (If-Match); read it again."),
        ("前置条件失败", "资源在读取后已被修改（If-Match），请重新读取。");
    ResourceConflict = "resource.conflict", 409,
        ("Conflict", "The request conflicts with existing data."),
        ("冲突", "请求与现有数据冲突。");
    ResourceContention = "resource.contention", 409,
        ("Concurrent change", "Another request changed the same data at the same moment; retry the request."),
        ("并发修改", "其他请求同时修改了相同的数据，请重试。");
    ServiceUnavailable = "service.unavailable", 503,
        ("Service unavailable", "{reason}"),
        ("服务不可用", "{reason}");
    RateLimited = "rate.limited", 429,
        ("Too many requests", "Slow down; retry after {retry_after} seconds."),
        ("请求过多", "请求过于频繁，请在 {retry_after} 秒后重试。");
    InternalError = "internal.error", 500,
        ("Internal error", "Something went wrong on our side; quote the request id when reporting it."),
        ("内部错误", "服务器内部出错，反馈时请提供请求 ID。");
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_dotted_and_round_trip() {
        let mut seen = std::collections::BTreeSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "{c} twice");
            assert!(c.as_str().contains('.'), "{c} is not dotted");
            assert_eq!(Code::parse(c.as_str()), Some(*c));
            assert!((400..600).contains(&c.status()), "{c}");
            for (title, detail) in [c.english(), c.chinese()] {
                assert!(!title.is_empty() && !detail.is_empty(), "{c} lacks text");
            }
        }
    }
}
