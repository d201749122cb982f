/// Indonesian function words left out of the index and of queries. Our own short list:
/// conjunctions, prepositions, pronouns, auxiliaries and question words. Negations
/// (tidak, bukan, belum) are kept: "tidak dipungut biaya" must stay findable.
public enum Stopwords {
    public static let indonesian: Set<String> = Set(text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))

    private static let text = """
    yang dan di ke dari untuk dengan pada dalam atau ini itu adalah ialah oleh akan sebagai tersebut juga ada \
    karena agar supaya bahwa jika apabila bila maka namun tetapi serta hingga sampai sejak antara terhadap tentang \
    atas kepada bagi para sang si pun lah kah nya \
    saya aku kami kita anda kamu engkau dia ia mereka beliau \
    apa apakah siapa siapakah mana manakah dimana kemana darimana bagaimana bagaimanakah berapa berapakah kapan kapankah mengapa kenapa \
    sudah telah sedang masih akan dapat bisa harus boleh perlu mau ingin \
    saja pula lagi pun hanya sangat lebih paling cukup agak \
    tiap setiap semua seluruh beberapa banyak sedikit suatu sebuah seorang \
    yaitu yakni misalnya seperti sebagaimana demikian begitu begini \
    oleh karenanya sehingga setelah sebelum selama ketika saat \
    tsb dll dsb dst
    """
}
