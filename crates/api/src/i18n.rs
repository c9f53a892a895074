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
        "resource.conflict" => {
            (("Conflict", "The request conflicts with existing data."), ("冲突", "请求与现有数据冲突。"))
        }
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

/// The message for one invalid field.
pub fn field_text(code: &str, lang: Lang) -> &'static str {
    let (en, zh) = match code {
        "required" => ("is required", "必填"),
        "length" => ("must be between {min} and {max} characters", "长度须在 {min} 到 {max} 个字符之间"),
        "range" => ("must be between {min} and {max}", "须在 {min} 到 {max} 之间"),
        "invalid_type" => ("has the wrong type", "类型错误"),
        "invalid_value" => ("has a value that is not allowed", "取值不被允许"),
        "unknown_field" => ("is not a known field", "不是可识别的字段"),
        "cursor_invalid" => ("is not a cursor this API issued", "不是本接口返回的游标"),
        "tenant_code_format" => (
            "must be lowercase letters, digits and hyphens, starting with a letter or digit",
            "只能包含小写字母、数字和连字符，且以字母或数字开头",
        ),
        "username_format" => ("may contain only letters, digits and . _ - @", "只能包含字母、数字及 . _ - @"),
        "password_equals_username" => ("must differ from the username", "不能与用户名相同"),
        "password_too_simple" => ("is too simple", "过于简单"),
        "not_found" => ("does not exist in this tenant", "在本租户中不存在"),
        "conflict" => ("conflicts with existing data", "与现有数据冲突"),
        "permission_unknown" => {
            ("is not a known permission (see GET /api/v1/permissions)", "不是已知的权限（见 GET /api/v1/permissions）")
        }
        "permission_platform_only" => ("can only be held by platform administrators", "只有平台管理员才能拥有"),
        "scope_not_granted" => ("asks for a scope the client does not hold", "请求了客户端未被授予的范围"),
        "unsupported_grant_type" => ("must be client_credentials", "必须是 client_credentials"),
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

    #[test]
    fn fills_placeholders() {
        assert_eq!(
            fill(field_text("length", Lang::En), &[("min", "3".into()), ("max", "9".into())]),
            "must be between 3 and 9 characters"
        );
    }
}
