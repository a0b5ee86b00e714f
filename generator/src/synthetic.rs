//! Synthetic catalogs for benchmarks: realistic Chinese records in many departments,
//! generated deterministically from a seed-free counter so runs are comparable.

use std::fmt::Write as _;
use std::path::Path;

const PLACES: &[(&str, &str)] = &[
    ("4501", "南宁市"),
    ("4502", "柳州市"),
    ("4503", "桂林市"),
    ("4504", "梧州市"),
    ("4505", "北海市"),
    ("4506", "防城港市"),
    ("4507", "钦州市"),
    ("4508", "贵港市"),
    ("4509", "玉林市"),
    ("4510", "百色市"),
    ("4511", "贺州市"),
    ("4512", "河池市"),
    ("4513", "来宾市"),
    ("4514", "崇左市"),
];
const AGENCIES: &[&str] = &[
    "交通运输局",
    "市场监督管理局",
    "教育局",
    "卫生健康委员会",
    "人力资源和社会保障局",
    "生态环境局",
    "住房和城乡建设局",
    "农业农村局",
    "民政局",
    "财政局",
    "自然资源局",
    "文化广电和旅游局",
];
const DOMAINS: &[&str] = &[
    "交通运输",
    "市场监管",
    "教育文化",
    "医疗卫生",
    "社保就业",
    "生态环境",
    "城建住房",
    "工业农业",
    "社会救助",
    "财税金融",
    "资源能源",
    "生活服务",
];
const SUBJECTS: &[&str] = &[
    "公交站点",
    "企业信用",
    "学校名录",
    "医疗机构",
    "社保参保",
    "空气质量监测",
    "保障性住房",
    "农产品价格",
    "低保对象统计",
    "政府采购",
    "矿产资源",
    "旅游景区",
    "停车场",
    "药品零售企业",
    "就业岗位",
    "河流水质",
];
const SUFFIXES: &[&str] = &[
    "信息",
    "名录",
    "统计数据",
    "月报",
    "年度汇总",
    "分布",
    "基本情况",
    "目录",
];
const FREQUENCIES: &[&str] = &["每日", "每月", "每季度", "每年", "实时", "不定期"];
const FIELD_NAMES: &[&str] = &[
    "名称",
    "统一社会信用代码",
    "地址",
    "所属区县",
    "经度",
    "纬度",
    "联系电话",
    "登记日期",
    "数量",
    "金额",
];

/// Writes a catalog of `records` datasets under `content/departments/`, plus `site.toml` beside it.
pub fn write_catalog(root: &Path, records: usize) -> std::io::Result<()> {
    let content = root.join("content");
    let departments = content.join("departments");
    std::fs::create_dir_all(content.join("pages"))?;
    std::fs::write(
        content.join("pages/about.md"),
        "# 关于\n\n合成的基准测试目录。\n",
    )?;
    let mut config =
        String::from("title = \"基准测试门户\"\ndescription = \"合成目录\"\ndomains = [\n");
    for (i, d) in DOMAINS.iter().enumerate() {
        let _ = writeln!(config, "  {{ slug = \"d{i}\", name = \"{d}\" }},");
    }
    config.push_str("]\n");
    std::fs::write(root.join("site.toml"), config)?;

    let dept_count = (records / 80).clamp(1, PLACES.len() * AGENCIES.len());
    for d in 0..dept_count {
        let (code, place) = PLACES[d % PLACES.len()];
        let agency = AGENCIES[(d / PLACES.len()) % AGENCIES.len()];
        let dir = departments.join(format!("dept-{d:03}"));
        std::fs::create_dir_all(&dir)?;
        std::fs::write(
            dir.join("department.yaml"),
            format!(
                "name: {place}{agency}\ncode: dept-{d:03}\nregion: \"{code}\"\ncontacts:\n  - name: 数据开放联络员\n    phone: \"0771-5550{:03}\"\n",
                d % 1000
            ),
        )?;
    }
    for i in 0..records {
        let d = i % dept_count;
        let (_, place) = PLACES[d % PLACES.len()];
        let subject = SUBJECTS[(i / 7) % SUBJECTS.len()];
        let suffix = SUFFIXES[(i / 3) % SUFFIXES.len()];
        let domain = DOMAINS[(i / 5) % DOMAINS.len()];
        let year = 2019 + (i % 7);
        let month = 1 + (i % 12);
        let day = 1 + (i % 28);
        let mut y = String::new();
        let _ = writeln!(y, "title: {place}{subject}{suffix}（第{i}号）");
        let _ = writeln!(
            y,
            "summary: |\n  本数据集记录{place}{subject}的{suffix}，包括名称、地址、所属区县和登记日期等数据项，\n  由部门按{freq}更新，可用于查询、统计分析和应用开发。",
            freq = FREQUENCIES[i % FREQUENCIES.len()]
        );
        let _ = writeln!(y, "domain: {domain}");
        let _ = writeln!(y, "keywords: [{subject}, {suffix}, {place}]");
        // About 2% of a real catalog is never published: 不予开放 records and suspended ones.
        // They keep the build-end audit honest in the benchmark.
        let open_type = if i % 50 == 49 {
            "不予开放"
        } else if i % 3 == 0 {
            "有条件开放"
        } else {
            "无条件开放"
        };
        let _ = writeln!(y, "open_type: {open_type}");
        if i % 97 == 96 {
            let _ = writeln!(y, "status: suspended");
        }
        if i % 3 == 0 {
            let _ = writeln!(
                y,
                "open_conditions: 仅限科研和公共服务用途，申请人需签署数据使用协议。"
            );
        }
        let _ = writeln!(
            y,
            "update_frequency: {}",
            FREQUENCIES[i % FREQUENCIES.len()]
        );
        let _ = writeln!(y, "fields:");
        for f in 0..(3 + i % 5) {
            let _ = writeln!(
                y,
                "  - {{ name: {}, type: 字符串 }}",
                FIELD_NAMES[(i + f) % FIELD_NAMES.len()]
            );
        }
        let _ = writeln!(
            y,
            "resources:\n  - title: 数据文件\n    format: CSV\n    url: https://data.example.gov.cn/files/{i}.csv"
        );
        let _ = writeln!(
            y,
            "issued: {year}-{month:02}-{day:02}\nmodified: {year}-{month:02}-{day:02}"
        );
        let _ = writeln!(
            y,
            "reviews:\n  security: {{ date: {year}-{month:02}-{day:02} }}"
        );
        std::fs::write(departments.join(format!("dept-{d:03}/ds-{i:06}.yaml")), y)?;
    }
    Ok(())
}
