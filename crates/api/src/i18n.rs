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
        "exactly_one" => ("give exactly one of {fields}", "须且只能提供 {fields} 之一"),
        "points_overflow" => ("earns more points than can be counted", "所得积分超出可记录范围"),
        "member_cancelled" => ("names a cancelled membership", "对应的会员已注销"),
        "time_zone_invalid" => {
            ("must be an IANA time zone such as Asia/Shanghai", "须为 IANA 时区名，如 Asia/Shanghai")
        }
        "before_start" => ("must not be before the start", "不能早于开始日期"),
        "period_too_long" => ("makes a period longer than {max_days} days", "周期不能超过 {max_days} 天"),
        "currency_invalid" => {
            ("must be a currency code of three capital letters, such as CNY", "须为三位大写字母的币种代码，如 CNY")
        }
        "invalid_characters" => ("must not contain control characters", "不能包含控制字符"),
        "item_gives_nothing" => ("must give reward or upgrade points", "须给予奖励积分或升级积分"),
        "only_for_purchase" => ("applies to purchase items only", "仅适用于消费类积分项"),
        "duplicate_category" => ("repeats a category another item of the plan has", "与方案中其他积分项的类别重复"),
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
    use crm_app::codes::Code;

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

    /// Every field code the code base writes has catalogue text in both languages (problem codes
    /// are `Code` variants, whose text the code table cannot lack; a dotted literal left anywhere
    /// must still name one).
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
                        Code::parse(&code).is_some()
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
