// The Compose app: screens that bind to the kit's tested state holders (org.gridwork.kit
// *Model, in :gridwork) — sign-in, my cases / my area's cases, case detail, report, patrol
// (PatrolService: a foreground location service), map (drawn on a Canvas), sync status,
// settings — with Navigation Compose between them, WorkManager sync (SyncWorker), English and
// Chinese strings (res/values, res/values-zh-rCN). See ../../docs/mobile.md, "Android".
plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
    alias(libs.plugins.kotlin.compose)
}

android {
    namespace = "org.gridwork.app"
    compileSdk = 35

    defaultConfig {
        applicationId = "org.gridwork.app"
        minSdk = 24
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
    }

    buildTypes {
        release {
            isMinifyEnabled = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"))
        }
    }
    buildFeatures { compose = true }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions { jvmTarget = "17" }
}

dependencies {
    implementation(project(":gridwork"))
    implementation(platform(libs.compose.bom))
    implementation(libs.compose.material3)
    implementation(libs.compose.ui)
    implementation(libs.compose.ui.tooling.preview)
    implementation(libs.compose.ui.graphics)
    implementation(libs.compose.foundation)
    implementation(libs.navigation.compose)
    implementation(libs.activity.compose)
    implementation(libs.lifecycle.viewmodel.compose)
    implementation(libs.lifecycle.runtime.compose)
    implementation(libs.coroutines.android)
    implementation(libs.work.runtime)
    implementation(libs.core.ktx)
}
