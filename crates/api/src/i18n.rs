//! The one message catalogue: every problem `code` and field-error `code` has its English and
//! Chinese text here. Handlers never write user-facing strings; they name a code.

use actix_web::http::header::{ACCEPT_LANGUAGE, HeaderMap};

/// The language of `title`, `detail` and field messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    /// Picks the best supported language from `Accept-Language` (q-values honoured); English otherwise.
    pub fn from_headers(h: &HeaderMap) -> Lang {
        let Some(v) = h.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()) else {
            return Lang::En;
        };
        let mut best: Option<(f32, Lang)> = None;
        for part in v.split(',') {
            let mut it = part.trim().split(';');
            let tag = it.next().unwrap_or_default().trim().to_ascii_lowercase();
            let q =
                it.find_map(|p| p.trim().strip_prefix("q=")).and_then(|q| q.trim().parse::<f32>().ok()).unwrap_or(1.0);
            let lang = match tag.split('-').next() {
                Some("zh") => Lang::Zh,
                Some("en") => Lang::En,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::En, |(_, l)| l)
    }
}

/// `(title, detail template)` for a problem code in `lang`. `{name}` placeholders are filled
/// from the error's arguments.
pub fn problem_text(code: &str, lang: Lang) -> (&'static str, &'static str) {
    let (en, zh) = match code {
        "validation.failed" => (
            ("Validation failed", "The request has {count} invalid field(s); see errors."),
            ("校验失败", "请求中有 {count} 个字段无效，详见 errors。"),
        ),
        "request.malformed_json" => (
            ("Malformed JSON", "The request body is not valid JSON: {reason}"),
            ("JSON 格式错误", "请求体不是有效的 JSON：{reason}"),
        ),
        "request.unsupported_media_type" => (
            ("Unsupported media type", "Send the body as application/json."),
            ("不支持的媒体类型", "请求体请使用 application/json。"),
        ),
        "request.body_too_large" => (
            ("Request body too large", "The body exceeds the limit of {limit} bytes."),
            ("请求体过大", "请求体超过 {limit} 字节的上限。"),
        ),
        "request.invalid_query" => (
            ("Invalid query parameter", "A query parameter could not be read; see errors."),
            ("查询参数无效", "查询参数无法解析，详见 errors。"),
        ),
        "request.invalid_path" => (
            ("Invalid path parameter", "A path parameter could not be read; see errors."),
            ("路径参数无效", "路径参数无法解析，详见 errors。"),
        ),
        "request.bad_request" => {
            (("Bad request", "The request could not be read."), ("错误的请求", "无法解析该请求。"))
        }
        "route.not_found" => (("Not found", "No resource at {path}."), ("未找到", "{path} 处没有资源。")),
        "method.not_allowed" => (
            ("Method not allowed", "{method} is not allowed here; allowed: {allow}."),
            ("方法不被允许", "此处不允许 {method}；允许的方法：{allow}。"),
        ),
        "auth.missing_token" => (
            ("Authentication required", "Send Authorization: Bearer <access token>."),
            ("需要身份认证", "请携带 Authorization: Bearer <访问令牌>。"),
        ),
        "auth.invalid_token" => (("Invalid token", "The access token is invalid."), ("令牌无效", "访问令牌无效。")),
        "auth.token_expired" => {
            (("Token expired", "The access token has expired; refresh it."), ("令牌已过期", "访问令牌已过期，请刷新。"))
        }
        "auth.invalid_credentials" => (
            ("Invalid credentials", "The tenant, username or password is wrong."),
            ("凭据无效", "租户、用户名或密码错误。"),
        ),
        "auth.user_disabled" => (("Account disabled", "This account is disabled."), ("账号已停用", "该账号已停用。")),
        "auth.invalid_refresh_token" => (
            ("Invalid refresh token", "The refresh token is invalid, expired or revoked; sign in again."),
            ("刷新令牌无效", "刷新令牌无效、已过期或已撤销，请重新登录。"),
        ),
        "auth.refresh_token_reused" => (
            (
                "Refresh token reused",
                "This refresh token was already used; the session has been revoked. Sign in again.",
            ),
            ("刷新令牌被重复使用", "该刷新令牌已被使用，会话已撤销，请重新登录。"),
        ),
        "permission.denied" => (
            ("Permission denied", "This needs the permission {permission}."),
            ("没有权限", "此操作需要 {permission} 权限。"),
        ),
        "user.not_found" => (("User not found", "No such user."), ("用户不存在", "没有该用户。")),
        "customer.not_found" => (("Customer not found", "No such customer."), ("客户不存在", "没有该客户。")),
        "contact.not_found" => (("Contact not found", "No such contact."), ("联系人不存在", "没有该联系人。")),
        "tag.not_found" => (("Tag not found", "No such tag."), ("标签不存在", "没有该标签。")),
        "segment.not_found" => (("Segment not found", "No such segment."), ("分群不存在", "没有该分群。")),
        "segment.name_taken" => {
            (("Segment exists", "Another segment already has this name."), ("分群已存在", "已有同名分群。"))
        }
        "segment.not_static" => (
            (
                "Not a static segment",
                "Members are added and removed only on static segments; rule-based ones follow their rules.",
            ),
            ("不是静态分群", "只有静态分群可以手动添加或移除成员；规则分群的成员由规则决定。"),
        ),
        "segment.rules_stale" => (
            (
                "Segment rules no longer valid",
                "The rules name a custom field or tag that no longer exists or that you may not use; update the rules.",
            ),
            ("分群规则已失效", "规则引用的自定义字段或标签已不存在或您无权使用，请更新规则。"),
        ),
        "custom_field.not_found" => {
            (("Custom field not found", "No such custom field."), ("自定义字段不存在", "没有该自定义字段。"))
        }
        "custom_field.key_taken" => (
            ("Key taken", "This object type already has a custom field with this key."),
            ("字段键已存在", "该对象类型已有同键的自定义字段。"),
        ),
        "custom_field.option_in_use" => (
            ("Option in use", "A record still holds an option this change removes."),
            ("选项正在使用", "仍有记录使用本次要删除的选项。"),
        ),
        "tag.name_taken" => (
            ("Tag exists", "This category already has a tag with this name."),
            ("标签已存在", "该分类下已有同名标签。"),
        ),
        "customer.not_organization" => (
            ("Not an organization", "Only organization customers have contacts."),
            ("不是企业客户", "只有企业客户才有联系人。"),
        ),
        "customer.external_id_taken" => (
            ("External id taken", "Another customer of this source has this external id."),
            ("外部编号已存在", "该来源已有使用此外部编号的客户。"),
        ),
        "customer.already_owned" => (
            ("Customer already owned", "Someone owns this customer; only customers in the public pool can be claimed."),
            ("客户已有负责人", "该客户已有负责人，只能领取公海中的客户。"),
        ),
        "customer.claim_limit_reached" => (
            ("Claim limit reached", "You own as many customers as the tenant allows; release some first."),
            ("已达领取上限", "您拥有的客户数已达上限，请先释放部分客户。"),
        ),
        "customer.in_pool" => (
            ("Customer in the pool", "This customer has no owner already."),
            ("客户已在公海", "该客户已经没有负责人。"),
        ),
        "customer.duplicate" => (
            (
                "Probable duplicate",
                "A customer with the same phone, email, id number, or name at the same company exists; see duplicates.",
            ),
            ("疑似重复客户", "已存在电话、邮箱、证件号相同或同公司同名的客户，详见 duplicates。"),
        ),
        "customer.merge_both_members" => (
            ("Both customers are members", "Cancel one of the two memberships before merging the customers."),
            ("两个客户都是会员", "合并客户前请先注销其中一个会员资格。"),
        ),
        "customer.merged" => (
            ("Customer merged", "This customer was merged into another and cannot be restored."),
            ("客户已合并", "该客户已合并到其他客户，不能恢复。"),
        ),
        "customer.not_deleted" => (
            ("Customer not deleted", "Only a deleted customer can be restored."),
            ("客户未被删除", "只能恢复已删除的客户。"),
        ),
        "customer.key_out_of_scope" => (
            (
                "Key outside your data scope",
                "You may use only the keys of customers in your data scope; creating by key needs a tenant-wide scope.",
            ),
            ("编号不在数据权限范围内", "您只能使用数据权限范围内客户的编号；按编号新建客户需要全租户的数据权限。"),
        ),
        "customer.merge_conflict" => (
            (
                "Customer already merged",
                "A customer named in this merge has been merged into another; the field names which duplicate, none means the target.",
            ),
            ("客户已被合并", "本次合并涉及的客户已合并到其他客户；字段指明是哪个被合并客户，未指明则是合并目标。"),
        ),
        "customer.changed_concurrently" => (
            (
                "Customer changed meanwhile",
                "The customer was changed by another request at the same time; read it again and retry.",
            ),
            ("客户已被同时修改", "该客户同时被其他请求修改，请重新读取后再试。"),
        ),
        "customer.deleted" => (
            ("Customer deleted", "This key names a deleted customer; restore it before changing it."),
            ("客户已删除", "该编号对应的客户已删除，请先恢复再修改。"),
        ),
        "member.not_found" => (("Member not found", "No such member."), ("会员不存在", "没有该会员。")),
        "member_level.not_found" => {
            (("Member level not found", "No such member level."), ("会员级别不存在", "没有该会员级别。"))
        }
        "member_identity.not_found" => {
            (("Identity not found", "The member has no such identity."), ("外部身份不存在", "该会员没有此外部身份。"))
        }
        "enrollment.not_found" => {
            (("Application not found", "No such enrollment application."), ("入会申请不存在", "没有该入会申请。"))
        }
        "card_number.not_found" => {
            (("Card number not found", "No such card number in the pool."), ("卡号不存在", "卡号池中没有该卡号。"))
        }
        "member_level.value_taken" => (
            ("Level value taken", "Another level has this level value."),
            ("级别值已被使用", "已有其他级别使用该级别值。"),
        ),
        "member_level.name_taken" => {
            (("Level name taken", "Another level has this name."), ("级别名称已被使用", "已有其他级别使用该名称。"))
        }
        "member_level.in_use" => (
            ("Level in use", "Members hold this level; move them to another level first."),
            ("级别正在使用", "仍有会员处于该级别，请先调整其级别。"),
        ),
        "card_number.pool_empty" => (
            (
                "Card number pool empty",
                "No free card number is left in the pool; add numbers with POST /api/v1/card-numbers/batch.",
            ),
            ("卡号池已空", "卡号池中没有可用卡号，请先批量新增卡号。"),
        ),
        "card_number.not_free" => (
            ("Card number not free", "This card number is assigned or retired; a number is never given twice."),
            ("卡号不可用", "该卡号已分配或已停用，卡号不能重复使用。"),
        ),
        "card_number.serials_exhausted" => (
            (
                "Card serials exhausted",
                "Automatic card numbers have used every serial of the configured width; widen card_serial_width or change the prefix.",
            ),
            ("卡号流水号已用尽", "自动卡号已用完当前位数的所有流水号，请增加流水号位数或更换前缀。"),
        ),
        "card_number.taken" => {
            (("Card number exists", "This card number exists already."), ("卡号已存在", "该卡号已存在。"))
        }
        "card_number.in_use" => (
            ("Card number in use", "A number that was ever assigned stays on record and cannot be deleted."),
            ("卡号已使用", "已分配过的卡号须保留记录，不能删除。"),
        ),
        "enrollment.not_pending" => (
            ("Application already decided", "Only a pending application can be changed, approved or rejected."),
            ("申请已处理", "只能修改、批准或拒绝待审核的申请。"),
        ),
        "enrollment.incomplete" => (
            (
                "Application incomplete",
                "Key information is missing or invalid (see the review findings); correct the application first.",
            ),
            ("申请资料不完整", "关键信息缺失或无效（见审核结果），请先补正申请。"),
        ),
        "enrollment.customer_ambiguous" => (
            (
                "Several customers match",
                "More than one customer has this phone or id number; name the one to link with customer_id.",
            ),
            ("匹配到多个客户", "有多个客户使用该电话或证件号，请用 customer_id 指定要关联的客户。"),
        ),
        "enrollment.customer_out_of_scope" => (
            (
                "Customer outside your data scope",
                "This person is a customer outside your data scope; a colleague who sees that customer must approve.",
            ),
            ("客户不在数据权限内", "此人已是您数据权限以外的客户，请由能查看该客户的同事审批。"),
        ),
        "enrollment.external_id_taken" => (
            (
                "Application key in use",
                "Another application outside your data scope was submitted under this source and external_id.",
            ),
            ("申请编号已被使用", "您数据权限以外的另一份申请已使用该来源和外部编号。"),
        ),
        "member.already_enrolled" => {
            (("Already a member", "This customer is a member already."), ("已是会员", "该客户已是会员。"))
        }
        "member.invalid_transition" => (
            ("Not possible in this state", "The membership's current state does not allow this change."),
            ("当前状态不允许", "会员当前状态不允许此操作。"),
        ),
        "member.lookup_ambiguous" => (
            ("Several members match", "More than one member has this phone; look up by card number instead."),
            ("匹配到多个会员", "有多个会员使用该电话，请改用卡号查询。"),
        ),
        "member_identity.taken" => (
            ("Identity linked to another member", "Another member of this tenant has this identity."),
            ("外部身份已被关联", "本租户的其他会员已关联该外部身份。"),
        ),
        "org_unit.not_found" => (("Org unit not found", "No such org unit."), ("组织单元不存在", "没有该组织单元。")),
        "position.not_found" => (("Position not found", "No such position."), ("岗位不存在", "没有该岗位。")),
        "api_client.not_found" => {
            (("API client not found", "No such API client."), ("接口客户端不存在", "没有该接口客户端。"))
        }
        "tenant.not_found" => (("Tenant not found", "No such tenant."), ("租户不存在", "没有该租户。")),
        "resource.not_found" => (("Not found", "No such resource."), ("未找到", "没有该资源。")),
        "org_unit.has_children" => (
            ("Org unit has children", "Only a leaf unit can be deleted; move or delete the units below it first."),
            ("组织单元有下级", "只能删除末级单元，请先移走或删除其下级单元。"),
        ),
        "org_unit.has_users" => (
            ("Org unit has users", "Move the users of this unit elsewhere before deleting it."),
            ("组织单元下有用户", "删除前请先将该单元的用户调到其他单元。"),
        ),
        "org_unit.cycle" => (
            ("Move would create a cycle", "A unit cannot be moved under itself or a unit below it."),
            ("移动会形成循环", "不能把单元移到自身或其下级单元之下。"),
        ),
        "position.in_use" => (
            ("Position in use", "Users still hold this position; take it from them first."),
            ("岗位正在使用", "仍有用户担任该岗位，请先取消。"),
        ),
        "position.name_taken" => (("Name taken", "Another position has this name."), ("名称已存在", "已有同名岗位。")),
        "user.username_taken" => (
            ("Username taken", "Another user of this tenant has this username."),
            ("用户名已存在", "本租户已有该用户名。"),
        ),
        "user.cannot_disable_self" => {
            (("Cannot disable yourself", "Ask another administrator."), ("不能停用自己", "请联系其他管理员。"))
        }
        "tenant.code_taken" => {
            (("Tenant code taken", "Another tenant has this code."), ("租户代码已存在", "已有相同代码的租户。"))
        }
        "api_client.revoked" => (
            ("API client revoked", "A revoked client cannot be changed."),
            ("接口客户端已撤销", "已撤销的客户端不能修改。"),
        ),
        "auth.locked" => (
            ("Temporarily locked", "Too many failed sign-ins; retry after {retry_after} seconds."),
            ("暂时锁定", "登录失败次数过多，请在 {retry_after} 秒后重试。"),
        ),
        "auth.invalid_client" => (
            ("Invalid client", "The client id or secret is wrong, or the client is revoked."),
            ("客户端无效", "客户端 ID 或密钥错误，或客户端已撤销。"),
        ),
        "auth.token_revoked" => (
            (
                "Token revoked",
                "This access token was revoked (signed out, password reset, disabled or secret rotated); get a new one.",
            ),
            ("令牌已撤销", "该访问令牌已被撤销（已退出、密码已重置、账号停用或密钥已轮换），请重新获取。"),
        ),
        "permission.grant_exceeds_own" => (
            ("Grant exceeds your rights", "You can only grant permissions and data scopes you hold yourself."),
            ("授权超出自身权限", "只能授予自己拥有的权限和数据范围。"),
        ),
        "user.platform_admin_protected" => (
            (
                "Platform administrator protected",
                "Only a platform administrator may change, disable or reset a platform administrator.",
            ),
            ("平台管理员受保护", "只有平台管理员可以修改、停用平台管理员或重置其密码。"),
        ),
        "user.rights_exceed_own" => (
            (
                "User holds more rights",
                "You cannot set the password of a user who holds permissions or a data scope you do not hold.",
            ),
            ("该用户权限更高", "不能为拥有你所没有的权限或数据范围的用户设置密码。"),
        ),
        "user.last_administrator" => (
            ("Last administrator", "The tenant must keep at least one active user holding the Administrator position."),
            ("最后一位管理员", "租户必须至少保留一位担任管理员岗位的启用用户。"),
        ),
        "position.built_in" => (
            ("Built-in position", "The built-in Administrator position cannot be changed or deleted."),
            ("内置岗位", "内置的管理员岗位不能修改或删除。"),
        ),
        "auth.client_revoked" => {
            (("Client revoked", "This API client has been revoked."), ("客户端已撤销", "该接口客户端已被撤销。"))
        }
        "auth.user_required" => (
            ("Staff user required", "This needs a staff user's token, not a client token."),
            ("需要员工账号", "此操作需要员工令牌，而非客户端令牌。"),
        ),
        "resource.precondition_failed" => (
            ("Precondition failed", "The resource changed since you read it (If-Match); read it again."),
            ("前置条件失败", "资源在读取后已被修改（If-Match），请重新读取。"),
        ),
        "resource.conflict" => {
            (("Conflict", "The request conflicts with existing data."), ("冲突", "请求与现有数据冲突。"))
        }
        "resource.contention" => (
            ("Concurrent change", "Another request changed the same data at the same moment; retry the request."),
            ("并发修改", "其他请求同时修改了相同的数据，请重试。"),
        ),
        "service.unavailable" => (("Service unavailable", "{reason}"), ("服务不可用", "{reason}")),
        "rate.limited" => (
            ("Too many requests", "Slow down; retry after {retry_after} seconds."),
            ("请求过多", "请求过于频繁，请在 {retry_after} 秒后重试。"),
        ),
        "internal.error" => (
            ("Internal error", "Something went wrong on our side; quote the request id when reporting it."),
            ("内部错误", "服务器内部出错，反馈时请提供请求 ID。"),
        ),
        _ => (("Error", "The request failed."), ("错误", "请求失败。")),
    };
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

/// The message for one invalid field, filled from its parameters. An `invalid_value` that lists
/// its `allowed` values (an enum) names them.
pub fn field_message(code: &str, params: &[(&'static str, String)], lang: Lang) -> String {
    let template = match (code, lang) {
        ("invalid_value", Lang::En) if params.iter().any(|(k, _)| *k == "allowed") => "must be one of: {allowed}",
        ("invalid_value", Lang::Zh) if params.iter().any(|(k, _)| *k == "allowed") => "须为以下之一：{allowed}",
        _ => field_text(code, lang),
    };
    fill(template, params)
}

/// The message template for one invalid field.
pub fn field_text(code: &str, lang: Lang) -> &'static str {
    let (en, zh) = match code {
        "required" => ("is required", "必填"),
        "length" => ("must be between {min} and {max} characters", "长度须在 {min} 到 {max} 个字符之间"),
        "range" => ("must be between {min} and {max}", "须在 {min} 到 {max} 之间"),
        "too_long" => ("must be at most {max} characters", "最多 {max} 个字符"),
        "nul_character" => ("must not contain the NUL character (U+0000)", "不能包含空字符（U+0000）"),
        "duplicate_key" => ("appears more than once in its object", "在同一对象中出现了多次"),
        "invalid_type" => ("has the wrong type", "类型错误"),
        "invalid_value" => ("has a value that is not allowed", "取值不被允许"),
        "unknown_field" => ("is not a known field", "不是可识别的字段"),
        "invalid_key" => (
            "must start with a lowercase letter and contain only a-z, 0-9 and _ (at most 64)",
            "须以小写字母开头，只含 a-z、0-9 和 _（最多 64 个字符）",
        ),
        "options_not_allowed" => ("is only allowed for select fields", "仅选择类字段可设置"),
        "duplicate" => ("repeats an earlier value", "与前面的值重复"),
        "merge_self" => ("cannot name the customer merged into", "不能包含合并目标本身"),
        "too_many" => ("has more than {max} items", "超过 {max} 项"),
        "invalid_option" => ("is not one of the options ({allowed})", "不是可选项之一（{allowed}）"),
        "invalid_date" => ("is not a date (YYYY-MM-DD)", "不是日期（YYYY-MM-DD）"),
        "invalid_number" => ("is not a number", "不是数字"),
        "money_invalid" => (
            "is not an amount (digits with at most two decimal places, like \"1280.00\")",
            "不是金额（最多两位小数的数字，如 \"1280.00\"）",
        ),
        "cursor_invalid" => ("is not a cursor this API issued", "不是本接口返回的游标"),
        "tenant_code_format" => (
            "must be lowercase letters, digits and hyphens, starting with a letter or digit",
            "只能包含小写字母、数字和连字符，且以字母或数字开头",
        ),
        "username_format" => ("may contain only letters, digits and . _ - @", "只能包含字母、数字及 . _ - @"),
        "password_equals_username" => ("must differ from the username", "不能与用户名相同"),
        "password_too_simple" => ("is too simple", "过于简单"),
        "phone_invalid" => ("is not a valid phone number", "不是有效的电话号码"),
        "in_future" => ("lies in the future", "不能是将来的时间"),
        "email_invalid" => ("is not a valid email address", "不是有效的电子邮箱"),
        "id_number_invalid" => ("is not a valid id number", "不是有效的证件号码"),
        "not_found" => ("does not exist in this tenant", "在本租户中不存在"),
        "conflict" => ("conflicts with existing data", "与现有数据冲突"),
        "exceeds_own" => ("grants more than you hold yourself", "超出了你自己拥有的权限"),
        "op_not_allowed" => {
            ("is not an operator for this field (allowed: {allowed})", "不是该字段可用的运算符（可用：{allowed}）")
        }
        "not_allowed" => ("is not allowed here", "此处不允许"),
        "invalid_id" => ("is not a valid id", "不是有效的编号"),
        "permission_unknown" => {
            ("is not a known permission (see GET /api/v1/permissions)", "不是已知的权限（见 GET /api/v1/permissions）")
        }
        "permission_platform_only" => ("can only be held by platform administrators", "只有平台管理员才能拥有"),
        "scope_not_granted" => ("asks for a scope the client does not hold", "请求了客户端未被授予的范围"),
        "unsupported_grant_type" => ("must be client_credentials", "必须是 client_credentials"),
        "card_prefix_invalid" => ("must be at most 8 letters or digits", "须为不超过 8 位的字母或数字"),
        "card_prefix_not_numeric" => ("must be digits only when a check digit is used", "使用校验位时只能是数字"),
        "card_serial_overflow" => {
            ("goes beyond the largest serial the width holds ({max})", "超出流水号位数能表示的最大值（{max}）")
        }
        "card_no_invalid" => ("must be 1 to 32 letters, digits or dashes", "须为 1 到 32 位字母、数字或连字符"),
        "multiplier_invalid" => {
            ("must be a decimal with at most two places, such as 1.5", "须为最多两位小数的数值，如 1.5")
        }
        "read_only" => ("cannot be changed", "不能修改"),
        "lookup_one_of" => (
            "give exactly one of phone, card_no, or source with external_id",
            "须且只能提供 phone、card_no 或 source 加 external_id 之一",
        ),
        _ => ("is invalid", "无效"),
    };
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

/// Fills `{name}` placeholders from `args`.
pub fn fill(template: &str, args: &[(&str, String)]) -> String {
    let mut s = template.to_owned();
    for (k, v) in args {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn lang(v: &str) -> Lang {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT_LANGUAGE, HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("")));
        Lang::from_headers(&h)
    }

    #[test]
    fn picks_language_by_quality() {
        assert_eq!(lang("zh-CN,zh;q=0.9,en;q=0.8"), Lang::Zh);
        assert_eq!(lang("en-US,zh;q=0.5"), Lang::En);
        assert_eq!(lang("fr, zh;q=0.3"), Lang::Zh);
        assert_eq!(lang("fr"), Lang::En);
        assert_eq!(Lang::from_headers(&HeaderMap::new()), Lang::En);
    }

    /// Every problem code and field code the code base writes has catalogue text in both languages.
    #[test]
    fn every_code_in_the_source_has_text() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let mut missing = Vec::new();
        let mut seen = 0;
        for dir in ["api/src", "app/src", "domain/src"] {
            for path in rust_files(&std::path::Path::new(root).join(dir)) {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for code in quoted_codes(&text) {
                    seen += 1;
                    let known = if code.contains('.') {
                        problem_text(&code, Lang::En).0 != "Error" && problem_text(&code, Lang::Zh).0 != "错误"
                    } else {
                        field_text(&code, Lang::En) != "is invalid"
                    };
                    if !known {
                        missing.push(format!("{code} ({})", path.display()));
                    }
                }
            }
        }
        assert!(seen > 30, "the scan found the codes ({seen})");
        assert!(missing.is_empty(), "no catalogue text for: {missing:?}");
    }

    fn rust_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(rust_files(&p));
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
        out
    }

    /// String literals that are codes: after `code: `, and the last literal inside the parentheses
    /// of `FieldError::new(..)` and `ApiError::new(StatusCode::.., ..)`. Test modules are skipped.
    fn quoted_codes(text: &str) -> Vec<String> {
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        let is_code = |c: &str| !c.is_empty() && c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_' || ch == '.');
        let mut out = Vec::new();
        for (i, _) in text.match_indices("code: \"") {
            if let Some(c) = text[i + 7..].split('"').next().filter(|c| is_code(c)) {
                out.push(c.to_owned());
            }
        }
        for marker in ["ApiError::new(StatusCode::", "FieldError::new("] {
            for (i, _) in text.match_indices(marker) {
                let args = text[i + marker.len()..].split(')').next().unwrap_or_default();
                let literals: Vec<&str> = args.split('"').skip(1).step_by(2).collect();
                if let Some(c) = literals.last().filter(|c| is_code(c)) {
                    out.push((*c).to_owned());
                }
            }
        }
        out
    }

    #[test]
    fn fills_placeholders() {
        assert_eq!(
            fill(field_text("length", Lang::En), &[("min", "3".into()), ("max", "9".into())]),
            "must be between 3 and 9 characters"
        );
    }
}
