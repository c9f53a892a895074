//! crm-bench: shared pieces of the benchmarks (setup, latency statistics, data generators).

pub mod api;
pub mod ledger;
pub mod load;
pub mod process;
pub mod raw;
pub mod server;

use std::time::Duration;

/// p50 / p99 / mean of a set of latencies.
pub fn summarize(mut samples: Vec<Duration>) -> (Duration, Duration, Duration) {
    samples.sort();
    if samples.is_empty() {
        return (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    }
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    (at(0.50), at(0.99), mean)
}

/// Formats a duration in milliseconds with three decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林",
    "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "于",
    "蒋", "蔡",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞",
    "平", "刚", "桂", "英", "华", "玉", "兰", "建", "国", "志", "文", "红", "梅", "海", "波", "宇", "浩", "鑫", "晨",
    "欣", "婷",
];

/// The n-th generated customer: a Chinese name and a unique mobile number.
pub fn customer(n: u64) -> (String, String) {
    let s = SURNAMES[(n * 7 % SURNAMES.len() as u64) as usize];
    let g1 = GIVEN[(n / 3 % GIVEN.len() as u64) as usize];
    let g2 = GIVEN[(n / 131 % GIVEN.len() as u64) as usize];
    let name = if n.is_multiple_of(3) { format!("{s}{g1}") } else { format!("{s}{g1}{g2}") };
    let phone = format!("139{:08}", n);
    (name, phone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let s: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let (p50, p99, _) = summarize(s);
        assert_eq!((p50, p99), (Duration::from_millis(51), Duration::from_millis(99)));
    }

    #[test]
    fn generated_phones_are_unique() {
        assert_ne!(customer(1).1, customer(2).1);
        assert_eq!(customer(12).1, "13900000012");
    }
}
